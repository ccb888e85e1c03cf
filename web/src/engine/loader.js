// Loads the engine module once, and forwards the page's calls to it. Its files are those that
// `<meta name="starttls-engine">` names (`cargo xtask build` hashes them), or trunk's unhashed
// `starttls-engine.js` and `starttls-engine_bg.wasm` (`trunk serve`), next to index.html. A
// file of its own, not inline code: the page runs under `script-src 'self'`.
let engine = null;
let loading = null;
// Failed loads so far. The browser remembers a module that failed to load under its URL, so
// a retry asks for it under another one (`?retry=N`).
let failures = 0;

export function load_engine() {
  if (loading === null) {
    const base = document.baseURI;
    const meta = document.querySelector('meta[name="starttls-engine"]');
    const js = meta?.getAttribute("content") || "starttls-engine.js";
    const wasm = meta?.dataset.wasm || "starttls-engine_bg.wasm";
    const url = new URL(js, base);
    if (failures > 0) url.searchParams.set("retry", String(failures));
    loading = import(url.href).then(async (m) => {
      await m.default({ module_or_path: new URL(wasm, base) });
      engine = m;
    });
    // A failed load may be retried by the next call.
    loading.catch(() => {
      failures += 1;
      loading = null;
    });
  }
  return loading;
}

export function engine_loaded() {
  return engine !== null;
}

export function engine_simulate(scenario, console) {
  return engine.simulate(scenario, console);
}

export function engine_demo_handshake() {
  return engine.demo_handshake();
}

export function engine_import_trace(text) {
  return engine.import_trace(text);
}

export function engine_read_lab_message(text) {
  return engine.read_lab_message(text);
}

export function engine_export_json(trace) {
  return engine.export_json(trace);
}

export function engine_export_pcapng(trace, startUnix) {
  return engine.export_pcapng(trace, startUnix);
}
