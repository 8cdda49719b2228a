/**
 * The `salon-lens` command tree. Each subcommand lives in `commands/<name>.ts`
 * and registers itself here; handlers throw, and `run` maps errors to exit codes.
 */
import { Command, CommanderError } from 'commander';
import { registerIndex } from './commands/index.js';
import { registerParse } from './commands/parse.js';
import { registerRemove } from './commands/remove.js';
import { registerReport } from './commands/report.js';
import { registerSearch } from './commands/search.js';
import { registerSimilar } from './commands/similar.js';
import { registerThemes } from './commands/themes.js';
import { registerVerify } from './commands/verify.js';
import { applyConfig } from './config-flags.js';
import { EXIT, exitCodeFor } from './io.js';

const REGISTER: ReadonlyArray<(program: Command) => void> = [
  registerParse,
  registerIndex,
  registerSearch,
  registerSimilar,
  registerVerify,
  registerThemes,
  registerReport,
  registerRemove,
];

export function buildProgram(version: string): Command {
  const program = new Command('salon-lens')
    .description('Semantic search and cross-salon themes for AI salon takeaway documents')
    .version(version, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `\n${MAIN_JOB}`)
    .exitOverride()
    // salon-lens.config.json (or package.json's "salon-lens") fills flags not typed.
    .hook('preAction', (_program, command) => applyConfig(command));
  for (const register of REGISTER) register(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

const MAIN_JOB = `Main job (documents → store → themes → report, nothing downloaded):
  salon-lens report <folder>     <folder>: your salon takeaway documents (.md/.txt)
    builds the store in .salon-lens/ and writes salon-report/report.md, .html, .json
    (salon-lens.config.json in this folder can set the store, guide, heading aliases…)
Then, on the same store (--store defaults to .salon-lens or $SALON_LENS_STORE):
  salon-lens search "<query>"    items closest in meaning
  salon-lens similar             questions asked again in other salons
  salon-lens themes              cross-salon themes`;

/** What `salon-lens` alone prints: the main job and where to go next. */
export function shortHelp(program: Command, version: string): string {
  const commands = program.commands.map((c) => c.name()).join(', ');
  return (
    `salon-lens ${version}: ${program.description()}\n\n${MAIN_JOB}\n\n` +
    `Commands: ${commands}.\nRun salon-lens <command> --help for its flags, salon-lens --help for all.\n`
  );
}

/** Runs the CLI and resolves to the process exit code; never throws. */
export async function run(argv: string[], version: string): Promise<number> {
  const program = buildProgram(version);
  if (argv.length <= 2) {
    process.stdout.write(shortHelp(program, version));
    return EXIT.ok;
  }
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
