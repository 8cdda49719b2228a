/**
 * The `salon-lens` command tree. Each subcommand lives in `commands/<name>.ts`
 * and registers itself here; handlers throw, and `run` maps errors to exit codes.
 */
import { Command, CommanderError } from 'commander';
import { registerIndex } from './commands/index.js';
import { registerParse } from './commands/parse.js';
import { registerReport } from './commands/report.js';
import { registerSearch } from './commands/search.js';
import { registerSimilar } from './commands/similar.js';
import { registerThemes } from './commands/themes.js';
import { registerVerify } from './commands/verify.js';
import { EXIT, exitCodeFor } from './io.js';

const REGISTER: ReadonlyArray<(program: Command) => void> = [
  registerParse,
  registerIndex,
  registerSearch,
  registerSimilar,
  registerVerify,
  registerThemes,
  registerReport,
];

export function buildProgram(version: string): Command {
  const program = new Command('salon-lens')
    .description('Semantic search and cross-salon themes for AI salon takeaway documents')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of REGISTER) register(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI and resolves to the process exit code; never throws. */
export async function run(argv: string[], version: string): Promise<number> {
  const program = buildProgram(version);
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version "errors" are successful exits
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
        return EXIT.ok;
      if (error.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    return exitCodeFor(error);
  }
}
