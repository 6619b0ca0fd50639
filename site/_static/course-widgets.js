// A small static widget manager for the course website: it brings the page's anywidget explorers
// to life with no kernel.
//
// A page built by `make site` carries each live explorer's state in the standard format of the
// Jupyter widgets (a <script type="application/vnd.jupyter.widget-state+json"> and a
// <script type="application/vnd.jupyter.widget-view+json"> naming the model). For each view of
// an anywidget model, this script gives the model's front-end module (its `_esm` trait, the same
// code that JupyterLab, Voila and Colab run) a model that keeps its state in the page, and calls
// its `render`. Nothing is fetched from another host: the module is in the state, and the
// explorers load their sample images from this site. Changes stay in the browser (there is no
// kernel to send them to). MIT licence, as the course.
(function () {
  "use strict";
  const STATE = "application/vnd.jupyter.widget-state+json";
  const VIEW = "application/vnd.jupyter.widget-view+json";
  const modules = new Map(); // module source -> Promise of the module
  const styles = new Set(); // anywidget ids whose CSS is on the page

  /** Base64 -> DataView (binary traits arrive as DataViews, as in ipywidgets). */
  function dataView(base64) {
    const text = atob(base64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return new DataView(bytes.buffer);
  }

  /** A model as anywidget's front-end modules see it: get, set, on, off, save_changes, send. */
  class Model {
    constructor(state) {
      this.state = state;
      this.handlers = new Map();
      this.widget_manager = { get_model: () => Promise.reject(new Error("no kernel on this page")) };
    }
    get(name) {
      return this.state[name];
    }
    set(name, value) {
      const old = this.state[name];
      this.state[name] = value;
      if (old !== value) this.emit(`change:${name}`, value);
    }
    on(name, handler) {
      if (!this.handlers.has(name)) this.handlers.set(name, new Set());
      this.handlers.get(name).add(handler);
    }
    off(name, handler) {
      if (!name) this.handlers.clear();
      else if (!handler) this.handlers.delete(name);
      else if (this.handlers.has(name)) this.handlers.get(name).delete(handler);
    }
    emit(name, value) {
      for (const handler of this.handlers.get(name) || []) handler(value);
    }
    save_changes() {} // no kernel: the state stays in the page
    send() {}
  }

  function modelFrom(entry) {
    const state = { ...entry.state };
    for (const buffer of entry.buffers || []) {
      let target = state;
      const path = buffer.path;
      for (const key of path.slice(0, -1)) target = target[key];
      target[path[path.length - 1]] = dataView(buffer.data);
    }
    return new Model(state);
  }

  function load(source) {
    if (!modules.has(source)) {
      const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
      modules.set(source, import(url).finally(() => URL.revokeObjectURL(url)));
    }
    return modules.get(source);
  }

  function addStyle(model) {
    const css = model.get("_css");
    const id = model.get("_anywidget_id") || css;
    if (!css || styles.has(id)) return;
    styles.add(id);
    const style = document.createElement("style");
    style.textContent = css;
    document.head.append(style);
  }

  async function renderView(script, models) {
    const spec = JSON.parse(script.textContent);
    const model = models.get(spec.model_id);
    if (!model || typeof model.get("_esm") !== "string") return; // only anywidget models live here
    addStyle(model);
    let widget = (await load(model.get("_esm"))).default;
    if (typeof widget === "function") widget = await widget();
    if (widget.initialize) await widget.initialize({ model });
    const el = document.createElement("div");
    el.className = "course-live-widget";
    script.after(el);
    await widget.render({ model, el });
    const holder = script.closest(".course-live");
    if (holder) holder.classList.add("course-live-ready"); // the live explorer replaces its picture
  }

  async function renderAll() {
    const models = new Map();
    for (const script of document.querySelectorAll(`script[type="${STATE}"]`)) {
      const data = JSON.parse(script.textContent);
      for (const [id, entry] of Object.entries(data.state)) models.set(id, modelFrom(entry));
    }
    const views = Array.from(document.querySelectorAll(`script[type="${VIEW}"]`));
    await Promise.all(views.map((script) => renderView(script, models).catch((error) => {
      console.error("course-widgets: a live explorer could not start; its picture stays.", error);
    })));
    document.documentElement.dataset.courseWidgets = "ready";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", renderAll);
  else renderAll();
})();
