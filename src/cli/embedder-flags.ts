/**
 * Embedder flags shared by the store commands. Without flags, a store is opened
 * with the embedder it was built with and a new store gets the bundled model.
 */
import type { Command } from 'commander';
import type { EmbedderOptions } from '../embed/index.js';
import { parseChoice } from './option-parsers.js';

export const CLI_EMBEDDERS = ['bundled', 'hashing', 'transformers'] as const;
export type CliEmbedder = (typeof CLI_EMBEDDERS)[number];

export interface EmbedderFlags {
  embedder?: CliEmbedder;
  model?: string;
  modelDir?: string;
  offline?: boolean;
}

export function addEmbedderFlags(command: Command): Command {
  return command
    .option(
      '--embedder <name>',
      `embedding model: ${CLI_EMBEDDERS.join(', ')} (default: the store's, or bundled for a new store)`,
      parseChoice(CLI_EMBEDDERS),
    )
    .option('--model <id>', 'Hugging Face model id for --embedder transformers')
    .option('--model-dir <dir>', 'local model folder for --embedder transformers (no download)')
    .option('--offline', 'never download model files');
}

/** Options for createEmbedder, or undefined to let the store decide. */
export function embedderOptionsFromFlags(flags: EmbedderFlags): EmbedderOptions | undefined {
  const backend = flags.embedder ?? (flags.model || flags.modelDir ? 'transformers' : undefined);
  if (backend === undefined) return undefined;
  if (backend === 'transformers') {
    return {
      backend,
      ...(flags.model ? { model: flags.model } : {}),
      ...(flags.modelDir ? { modelDir: flags.modelDir } : {}),
      ...(flags.offline ? { offline: true } : {}),
    };
  }
  return { backend };
}
