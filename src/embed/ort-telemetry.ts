/**
 * onnxruntime's POSIX telemetry is switched off before onnxruntime-node loads.
 *
 * Why: since 1.29, creating the runtime's environment (the first session) on
 * Linux collects telemetry by matching regular expressions against
 * `/proc/self/cmdline`, among other strings. libstdc++'s std::regex backtracks
 * by recursion, about 280 bytes of stack per command-line byte, so a long
 * command line overflows the main thread's 8 MB stack and the process dies
 * with SIGSEGV (exit 139, no message): `salon-lens search "<38 kB>"`, or
 * `salon-lens index $(ls -d salons/*.md)` over ~800 documents. The crash
 * depends on argv alone, not on what is embedded (a 40 kB argument nobody
 * reads crashes too), and `ulimit -s unlimited` hides it. ORT_DISABLE_TELEMETRY
 * skips that code path (onnxruntime issue #32173 and vespa-engine/vespa#37786
 * found the same crash), and salon-lens promises to run locally without
 * sending anything anyway. A value the user set is left alone.
 */
export function disableOnnxRuntimeTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
}
