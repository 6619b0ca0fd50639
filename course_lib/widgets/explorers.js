// The kernel explorer and the Gaussian explorer, computed in the browser (an anywidget module).
//
// Python (course_lib/widgets/filters.py) keeps the state as traits: the image (PNG bytes), the
// kernel's cells as typed, the preset, the operation, the boundary, sigma. This module draws the
// controls, filters the image on a canvas in plain JavaScript and writes the user's changes back
// to the model. It is the same arithmetic as course_lib: convolve2d / correlate2d with mode
// "same", the boundaries "fill", "wrap" and "symm", and plotting.to_uint8's display scaling,
// in 64-bit floats; tests/test_explorers_browser.py checks every preset against the library.
//
// The same module runs in JupyterLab, Notebook 7, Voila, VS Code and Colab (through anywidget)
// and on the course website (through site/_static/course-widgets.js, with no kernel).

const MESSAGE_LIMIT = 200; // characters a message line shows at most (widgets/_common.py)
const COLOURS = { error: "#b00020", info: "#555555", ok: "#1b7f3b" };
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i; // course_lib._checks._NUMBER
const MAX_EXPONENT = 100000; // beyond this a typed exponent means overflow or zero
let instances = 0; // gives each view's radio groups a name of their own

// ------------------------------------------------------------------------- numbers as typed

/** Python's repr of a short string, as course_lib's messages quote what was typed. */
function pyRepr(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0);
    if (ch === "\\" || ch === quote) out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 32 || code === 127) out += "\\x" + code.toString(16).padStart(2, "0");
    else out += ch;
  }
  return quote + out + quote;
}

/** A decimal as an exact fraction of BigInts {num, den}, den > 0 (text matches NUMBER). */
function exactDecimal(text) {
  const match = /^([-+]?)(\d*)(?:\.(\d*))?(?:e([-+]?\d+))?$/i.exec(text);
  const digits = (match[2] || "") + (match[3] || "");
  let exponent = Number(match[4] || 0) - (match[3] || "").length;
  exponent = Math.max(-MAX_EXPONENT, Math.min(MAX_EXPONENT, exponent));
  let num = BigInt(digits || "0");
  let den = 1n;
  if (exponent >= 0) num *= 10n ** BigInt(exponent);
  else den = 10n ** BigInt(-exponent);
  return { num: match[1] === "-" ? -num : num, den };
}

/** The double nearest to num / den (den > 0), ties to even, as float(Fraction) rounds. */
function ratioToDouble(num, den) {
  if (num === 0n) return 0;
  const negative = num < 0n;
  if (negative) num = -num;
  const shift = 56 - (num.toString(2).length - den.toString(2).length); // quotient: 55-57 bits
  const top = shift >= 0 ? num << BigInt(shift) : num;
  const bottom = shift >= 0 ? den : den << BigInt(-shift);
  const quotient = top / bottom;
  const sticky = top % bottom !== 0n;
  const bits = quotient.toString(2).length;
  const leading = bits - 1 - shift; // the value is in [2^leading, 2^(leading + 1))
  if (leading > 1023) return negative ? -Infinity : Infinity;
  const ulp = Math.max(leading - 52, -1074);
  const drop = BigInt(-shift - ulp < 0 ? shift + ulp : 0); // bits of the quotient below one ulp
  let mantissa = quotient >> drop;
  const rest = quotient - (mantissa << drop);
  const half = drop > 0n ? 1n << (drop - 1n) : 0n;
  if (drop > 0n && (rest > half || (rest === half && (sticky || (mantissa & 1n) === 1n)))) mantissa += 1n;
  const value = Number(mantissa) * 2 ** ulp;
  return negative ? -value : value;
}

/** Read a number as course_lib._checks.read_number does ("0.25", "-2", "1e-3", "1/9"). */
function readNumber(text) {
  const raw = String(text).trim();
  const shown = pyRepr(raw.length <= 24 ? raw : raw.slice(0, 14) + "..." + raw.slice(-6));
  const parts = raw.split("/");
  if (parts.length > 2 || !parts.every((part) => NUMBER.test(part))) {
    throw new Error(`${shown} is not a number (write e.g. 0.25, -1 or 1/9).`);
  }
  const top = exactDecimal(parts[0]);
  let num = top.num;
  let den = top.den;
  if (parts.length === 2) {
    const bottom = exactDecimal(parts[1]);
    if (bottom.num === 0n) throw new Error(`${shown} divides by zero.`);
    num *= bottom.den;
    den *= bottom.num;
    if (den < 0n) {
      num = -num;
      den = -den;
    }
  }
  const value = ratioToDouble(num, den);
  if (!Number.isFinite(value)) throw new Error(`${shown} is not a finite number (at most about 1.8e308).`);
  return value;
}

/** A kernel weight as typed (empty means 0), as widgets.filters.parse_weight. */
function parseWeight(text) {
  const raw = String(text).trim();
  return raw ? readNumber(raw) : 0;
}

/** Python's f"{x:.{digits}f}": the exact binary value rounded, ties to even (|x| < 1e21). */
function pyFixed(x, digits) {
  const plain = x.toFixed(digits); // rounds an exact tie away from zero
  const exact = Math.abs(x).toFixed(100); // every digit of the double
  const point = exact.indexOf(".");
  if (!/^50*$/.test(exact.slice(point + 1 + digits))) return plain;
  const kept = exact.slice(0, point + 1 + digits).replace(/\.$/, "");
  // a tie: away from zero is right when the kept digit is odd (it becomes even)
  return Number(kept[kept.length - 1]) % 2 === 0 ? (x < 0 ? "-" : "") + kept : plain;
}

/** Python's f"{x:.6g}". */
function pyG6(x) {
  if (x === 0) return "0";
  const [mantissa, exp] = x.toExponential(5).split("e");
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 6) {
    const m = mantissa.replace(/\.?0+$/, "");
    return `${m}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return x.toFixed(Math.max(0, 5 - exponent)).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
}

/** widgets.filters._short_number: two decimals for everyday values, six digits otherwise. */
function shortNumber(value) {
  return value === 0 || (Math.abs(value) >= 1e-2 && Math.abs(value) < 1e4) ? pyFixed(value, 2) : pyG6(value);
}

/** numpy's sum of a short float64 array (pairwise: eight partial sums from 8 values on). */
function numpySum(values) {
  const n = values.length;
  if (n < 8) {
    let total = 0;
    for (let i = 0; i < n; i++) total += values[i];
    return total;
  }
  const r = Array.from(values.slice(0, 8));
  let i = 8;
  for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += values[i + j];
  let total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
  for (; i < n; i++) total += values[i];
  return total;
}

/** plotting.display_range: [0, 1] for data inside it, else the data's own range. */
function displayRange(low, high) {
  return low >= 0 && high <= 1 ? [0, 1] : [low, high];
}

// -------------------------------------------------------------------------------- pictures

/** Decode PNG/JPEG/... bytes or a Blob into {height, width, channels, planes (Float64Array, value/255)}. */
async function decodePicture(source, maxSide, maxPixels) {
  const blob = source instanceof Blob ? source : new Blob([source]);
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  } catch (error) {
    throw new Error("the file is not an image that this browser can read (PNG, JPEG, GIF, BMP or WebP).");
  }
  if (bitmap.width * bitmap.height > maxPixels) {
    const size = `${bitmap.width}x${bitmap.height}`;
    bitmap.close();
    throw new Error(`the image is ${size} pixels; at most ${maxPixels.toLocaleString("en")} pixels are accepted: resize it first.`);
  }
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.imageSmoothingQuality = "high";
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const rgba = context.getImageData(0, 0, width, height).data;
  return { ...toPlanes(rgba, width, height), scaled: scale < 1 };
}

/** RGBA bytes -> one plane (grey: R = G = B everywhere) or three, as value / 255. */
function toPlanes(rgba, width, height) {
  const n = width * height;
  let grey = true;
  for (let i = 0; i < n && grey; i++) {
    grey = rgba[4 * i] === rgba[4 * i + 1] && rgba[4 * i] === rgba[4 * i + 2];
  }
  const channels = grey ? 1 : 3;
  const planes = [];
  for (let c = 0; c < channels; c++) {
    const plane = new Float64Array(n);
    for (let i = 0; i < n; i++) plane[i] = rgba[4 * i + c] / 255;
    planes.push(plane);
  }
  return { width, height, channels, planes };
}

/** Encode a picture as PNG (what the browser sends to Python for an uploaded image). */
async function encodePicture(picture) {
  const canvas = document.createElement("canvas");
  canvas.width = picture.width;
  canvas.height = picture.height;
  paintPlanes(canvas, picture, 0, 1);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  return new DataView(await blob.arrayBuffer());
}

// Work arrays reused from one update to the next (a 512x512 update would otherwise allocate and
// zero megabytes, and the garbage collector would pause some later update). An update runs to its
// end before the next starts, and nothing keeps these arrays past it.
const scratchArrays = new Map();
function scratch(name, length) {
  let array = scratchArrays.get(name);
  if (!array || array.length !== length) {
    array = new Float64Array(length);
    scratchArrays.set(name, array);
  }
  return array;
}

/** Index of row/column i (may lie outside 0..n-1) under a boundary: numpy's pad modes. */
function boundaryIndex(i, n, boundary) {
  if (i >= 0 && i < n) return i;
  if (boundary === "wrap") return ((i % n) + n) % n;
  const period = 2 * n; // "symm": d c b a | a b c d | d c b a
  const j = ((i % period) + period) % period;
  return j < n ? j : period - 1 - j;
}

/** A plane padded by `radius` on every side, as conv.pad_image does for an odd kernel. */
function padPlane(plane, height, width, radius, boundary) {
  const paddedWidth = width + 2 * radius;
  const padded = scratch("padded", (height + 2 * radius) * paddedWidth);
  if (boundary === "fill") {
    padded.fill(0, 0, radius * paddedWidth); // the zero rows above and below, the zero columns
    padded.fill(0, (height + radius) * paddedWidth);
    for (let y = 0; y < height; y++) {
      const row = (y + radius) * paddedWidth;
      padded.fill(0, row, row + radius);
      padded.set(plane.subarray(y * width, (y + 1) * width), row + radius);
      padded.fill(0, row + radius + width, row + paddedWidth);
    }
    return padded;
  }
  const columns = new Int32Array(paddedWidth);
  for (let x = 0; x < paddedWidth; x++) columns[x] = boundaryIndex(x - radius, width, boundary);
  for (let y = 0; y < height + 2 * radius; y++) {
    const row = boundaryIndex(y - radius, height, boundary) * width;
    const out = y * paddedWidth;
    for (let x = 0; x < paddedWidth; x++) padded[out + x] = plane[row + columns[x]];
  }
  return padded;
}

/**
 * Filter every plane with a square odd kernel (row-major Float64Array, side k), output "same".
 * Correlation: out[y, x] = sum_ij K[i, j] P[y + i, x + j] over the padded image P; convolution
 * is the correlation with the kernel turned by 180 degrees (flipped in both axes).
 */
function filterPlanes(picture, kernel, side, boundary, convolution) {
  const { height, width } = picture;
  const radius = (side - 1) >> 1;
  const paddedWidth = width + 2 * radius;
  return picture.planes.map((plane, channel) => {
    const padded = padPlane(plane, height, width, radius, boundary);
    const out = scratch(`out${channel}`, height * width);
    out.fill(0);
    for (let i = 0; i < side; i++) {
      for (let j = 0; j < side; j++) {
        const weight = convolution ? kernel[(side - 1 - i) * side + (side - 1 - j)] : kernel[i * side + j];
        if (weight === 0) continue; // an exact zero adds nothing to finite pixels
        for (let y = 0; y < height; y++) {
          const from = (y + i) * paddedWidth + j;
          const to = y * width;
          for (let x = 0; x < width; x++) out[to + x] += weight * padded[from + x];
        }
      }
    }
    return out;
  });
}

/** Separable filter: rows with `taps`, then columns with `taps` (filters.separable_filter). */
function separablePlanes(picture, taps, boundary) {
  const { height, width } = picture;
  const side = taps.length;
  const radius = (side - 1) >> 1;
  return picture.planes.map((plane, channel) => {
    // columns first (a vertical pass), then rows; both passes see the boundary
    const padded = padPlane(plane, height, width, radius, boundary);
    const paddedWidth = width + 2 * radius;
    const vertical = scratch("vertical", height * paddedWidth);
    vertical.fill(0);
    for (let i = 0; i < side; i++) {
      const weight = taps[side - 1 - i];
      for (let y = 0; y < height; y++) {
        const from = (y + i) * paddedWidth;
        const to = y * paddedWidth;
        for (let x = 0; x < paddedWidth; x++) vertical[to + x] += weight * padded[from + x];
      }
    }
    const out = scratch(`out${channel}`, height * width);
    out.fill(0);
    for (let j = 0; j < side; j++) {
      const weight = taps[side - 1 - j];
      for (let y = 0; y < height; y++) {
        const from = y * paddedWidth + j;
        const to = y * width;
        for (let x = 0; x < width; x++) out[to + x] += weight * vertical[from + x];
      }
    }
    return out;
  });
}

/** Smallest and largest value over all planes (NaN if any value is NaN). */
function valueRange(planes) {
  let low = Infinity;
  let high = -Infinity;
  for (const plane of planes) {
    for (let i = 0; i < plane.length; i++) {
      const v = plane[i];
      if (v < low) low = v;
      if (v > high) high = v;
      if (v !== v) return [NaN, NaN];
    }
  }
  return [low, high];
}

/**
 * Paint planes on a canvas with plotting.to_uint8's scaling: (v/2 - vmin/2) / half_span, clipped
 * to [0, 1], times 255, rounded half to even (a Uint8ClampedArray rounds as numpy's rint).
 */
function paintPlanes(canvas, picture, vmin, vmax) {
  const { width, height, planes } = picture;
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const context = canvas.getContext("2d");
  if (!canvas.courseImage || canvas.courseImage.width !== width || canvas.courseImage.height !== height) {
    canvas.courseImage = context.createImageData(width, height); // kept: one per canvas and size
  }
  const image = canvas.courseImage;
  const data = image.data;
  const halfSpan = vmax > vmin ? vmax / 2 - vmin / 2 : 0.5;
  const offset = vmin / 2;
  const n = width * height;
  if (planes.length === 1) { // grey: one value, three channels
    const plane = planes[0];
    for (let i = 0, k = 0; i < n; i++, k += 4) {
      let s = (plane[i] / 2 - offset) / halfSpan;
      s = s < 0 ? 0 : s > 1 ? 1 : s;
      const v = s * 255;
      data[k] = v;
      data[k + 1] = v;
      data[k + 2] = v;
      data[k + 3] = 255;
    }
  } else {
    for (let c = 0; c < 3; c++) {
      const plane = planes[c];
      for (let i = 0, k = c; i < n; i++, k += 4) {
        let s = (plane[i] / 2 - offset) / halfSpan;
        s = s < 0 ? 0 : s > 1 ? 1 : s;
        data[k] = s * 255;
      }
    }
    for (let k = 3; k < 4 * n; k += 4) data[k] = 255;
  }
  context.putImageData(image, 0, 0);
  canvas.dataset.paints = String(Number(canvas.dataset.paints || 0) + 1);
}

/** Paint a small matrix through a 256-colour table, as matplotlib's colormaps index it. */
function paintColormap(canvas, values, side, vmin, vmax, table) {
  canvas.width = side;
  canvas.height = side;
  const context = canvas.getContext("2d");
  const image = context.createImageData(side, side);
  const halfSpan = vmax > vmin ? vmax / 2 - vmin / 2 : 0.5;
  for (let i = 0; i < side * side; i++) {
    let s = (values[i] / 2 - vmin / 2) / halfSpan;
    s = s < 0 ? 0 : s > 1 ? 1 : s;
    const index = Math.min(255, Math.floor(s * 256));
    for (let c = 0; c < 3; c++) image.data[4 * i + c] = table[3 * index + c];
    image.data[4 * i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

/** Bytes of a model value (DataView from ipywidgets, or an ArrayBuffer / typed array). */
function bytesOf(value) {
  if (!value) return new Uint8Array(0);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

// -------------------------------------------------------------------------------- controls

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "className") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function labelled(text, control, className = "") {
  return element("label", { className: `course-field ${className}`.trim() }, [
    element("span", { className: "course-field-name", text }), control]);
}

function select(options, value) {
  const node = element("select");
  setOptions(node, options, value);
  return node;
}

function setOptions(node, options, value) {
  const current = Array.from(node.options).map((o) => o.value);
  if (current.length !== options.length || current.some((o, i) => o !== options[i])) {
    node.replaceChildren(...options.map((o) => element("option", { value: o, text: o })));
  }
  node.value = value;
}

function radios(name, options, value, label) {
  const group = element("div", { className: "course-radios", role: "radiogroup", "aria-label": label });
  for (const option of options) {
    const input = element("input", { type: "radio", name, value: option });
    input.checked = option === value;
    group.append(element("label", { className: "course-radio" }, [input, element("span", { text: option })]));
  }
  return group;
}

function radioValue(group) {
  const checked = group.querySelector("input:checked");
  return checked ? checked.value : null;
}

function setRadio(group, value) {
  for (const input of group.querySelectorAll("input")) input.checked = input.value === value;
}

function figure(caption, canvas) {
  return element("figure", { className: "course-figure" }, [
    element("figcaption", { text: caption }), canvas]);
}

function picture(className, label, width) {
  const canvas = element("canvas", { className, role: "img", "aria-label": label });
  canvas.style.width = `${width}px`;
  return canvas;
}

/** The message line: red for an error, grey for information (widgets/_common.show_message). */
function showMessage(line, text, kind = "error") {
  if (text.length > MESSAGE_LIMIT) text = text.slice(0, MESSAGE_LIMIT - 3) + "...";
  line.textContent = text;
  line.style.color = COLOURS[kind];
  line.dataset.kind = kind;
}

// ------------------------------------------------------------------ shared by both explorers

/**
 * The image part of an explorer: the sample menu, the file input, the decoded image.
 * `onImage(picture)` is called with each new image; `say(text, kind)` writes the message line.
 */
function imageSource(model, say, onImage) {
  const cache = new Map(); // name -> decoded picture
  const choice = select(model.get("image_options"), model.get("image_name"));
  const file = element("input", { type: "file", accept: "image/*", className: "course-upload" });
  const controls = element("div", { className: "course-row" }, [
    labelled("image", choice, "course-image-choice"),
    labelled("your own image", file, "course-upload-field")]);
  let generation = 0; // a slower, older load never replaces a newer one
  let quiet = false; // this view is setting the image itself: do not react to its own change

  async function show(name, source) {
    const mine = ++generation;
    let decoded;
    try {
      decoded = cache.get(name) || await decodePicture(source, model.get("max_side"), model.get("max_pixels"));
    } catch (error) {
      if (mine === generation) say(`Image refused: ${error.message}`);
      return;
    }
    if (mine !== generation) return;
    cache.set(name, decoded);
    onImage(decoded);
  }

  function fromModel() {
    const name = model.get("image_name");
    const bytes = bytesOf(model.get("image"));
    if (bytes.length) {
      cache.delete(name); // the kernel's bytes are the truth for this name
      show(name, bytes);
    } else if (cache.has(name)) {
      show(name, null);
    } else if (model.get("sample_url")) { // the website: the samples are files beside the page
      const url = model.get("sample_url").replace("{name}", encodeURIComponent(name));
      fetch(url).then((response) => {
        if (!response.ok) throw new Error(`${url}: ${response.status}`);
        return response.blob();
      }).then((blob) => show(name, blob), (error) => say(`Image not loaded: ${error.message}`));
    } // else: in a kernel, Python answers a new image_name with the image's bytes
  }

  choice.addEventListener("change", () => {
    // The model's bytes are the last image's: clear them. The new one comes from this view's
    // cache, from the website's files, or (in a kernel) from Python, which answers the name.
    quiet = true;
    model.set("image_name", choice.value);
    model.set("image", new DataView(new ArrayBuffer(0)));
    quiet = false;
    model.save_changes();
    if (cache.has(choice.value) || model.get("sample_url")) fromModel();
    else say(`loading ${choice.value}...`, "info");
  });

  file.addEventListener("change", async () => {
    const chosen = file.files && file.files[0];
    if (!chosen) return;
    const mine = ++generation;
    let decoded;
    try {
      decoded = await decodePicture(chosen, model.get("max_side"), model.get("max_pixels"));
    } catch (error) {
      if (mine === generation) say(`Upload refused: ${error.message}`);
      return;
    }
    if (mine !== generation) return;
    cache.set("uploaded", decoded);
    quiet = true; // the name first, with no bytes yet: the menu and the model agree at once
    model.set("image_name", "uploaded");
    model.set("image", new DataView(new ArrayBuffer(0)));
    const options = model.get("image_options");
    if (!options.includes("uploaded")) model.set("image_options", ["uploaded", ...options]);
    quiet = false;
    setOptions(choice, model.get("image_options"), "uploaded");
    onImage(decoded);
    // Then tell the kernel (on the website nobody listens: the image stays in the browser).
    const png = await encodePicture(decoded);
    if (mine !== generation) return;
    quiet = true;
    model.set("image", png);
    quiet = false;
    model.save_changes();
  });

  const listeners = {
    "change:image": () => { if (!quiet) fromModel(); },
    "change:image_options": () => setOptions(choice, model.get("image_options"), model.get("image_name")),
    "change:image_name": () => { choice.value = model.get("image_name"); },
  };
  return { controls, fromModel, listeners };
}

/**
 * Keys typed in the explorer are the explorer's: JupyterLab and Notebook 7 would otherwise read
 * Enter, the arrows or letters as notebook commands (enter a cell, move to the next cell).
 */
function keepKeys(root) {
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  root.addEventListener("keydown", (event) => event.stopPropagation());
  return root;
}

/** Attach model listeners; return the function that detaches them. */
function listen(model, listeners) {
  for (const [event, handler] of Object.entries(listeners)) model.on(event, handler);
  return () => { for (const [event, handler] of Object.entries(listeners)) model.off(event, handler); };
}

/** Run `work` once at the end of the current task, however often it was asked for. */
function coalesce(work) {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      work();
    });
  };
}

/** In compute="kernel" mode Python sends the filtered picture as PNG: paint it. */
async function paintPng(canvas, bytes) {
  const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }),
    { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext("2d").drawImage(bitmap, 0, 0);
  bitmap.close();
  canvas.dataset.paints = String(Number(canvas.dataset.paints || 0) + 1);
}

// ------------------------------------------------------------------------ kernel explorer

/** The kernel the settings ask for (throws an Error with the explorer's message). */
function kernelOf(model) {
  const preset = model.get("preset");
  const side = model.get("size");
  let kernel;
  if (preset !== "custom") {
    kernel = Float64Array.from(model.get("presets")[preset].kernel.flat());
  } else {
    const weights = model.get("weights");
    kernel = new Float64Array(side * side);
    for (let i = 0; i < side * side; i++) {
      try {
        kernel[i] = parseWeight(weights[i] ?? "");
      } catch (error) {
        throw new Error(`Cell (row ${Math.floor(i / side) + 1}, column ${(i % side) + 1}): ${error.message}`);
      }
    }
  }
  if (model.get("normalise")) {
    const total = numpySum(kernel);
    if (!Number.isFinite(total)) {
      throw new Error("The kernel's weights sum to more than 1.8e308, so it cannot be normalised: use smaller weights.");
    }
    if (Math.abs(total) < 1e-12) {
      throw new Error("The kernel's weights sum to 0, so it cannot be normalised: untick 'normalise' (edge kernels are meant to sum to 0).");
    }
    kernel = kernel.map((w) => w / total);
  }
  return { kernel, side: Math.round(Math.sqrt(kernel.length)) };
}

/** Crop the centre of a larger grid of cell texts, or pad a smaller one with "0". */
function resizeCells(cells, from, to) {
  const out = [];
  const offset = (from - to) >> 1; // negative when growing
  for (let r = 0; r < to; r++) {
    for (let c = 0; c < to; c++) {
      const rr = r + offset;
      const cc = c + offset;
      const inside = rr >= 0 && rr < from && cc >= 0 && cc < from;
      let text = inside ? cells[rr * from + cc] : "0";
      try {
        parseWeight(text);
      } catch (error) {
        text = "0"; // an unreadable cell counts as 0 when the grid changes size
      }
      out.push(text);
    }
  }
  return out;
}

function renderKernelExplorer(model, el) {
  const id = `course-explorer-${++instances}`;
  const width = model.get("display_width");
  const message = element("div", { className: "course-message", role: "status", "aria-live": "polite" });
  const say = (text, kind = "error") => showMessage(message, text, kind);
  const original = picture("course-original-image", "the original image", width);
  const filtered = picture("course-filtered-image", "the filtered image", width);
  const kernelView = picture("course-kernel-image", "the kernel's weights: red positive, blue negative", width >> 1);
  let image = null; // the decoded image

  const presetMenu = select(["custom", ...Object.keys(model.get("presets"))], model.get("preset"));
  const sizeChoice = radios(`${id}-size`, ["3x3", "5x5"], `${model.get("size")}x${model.get("size")}`, "kernel size");
  const grid = element("div", { className: "course-kernel-grid", role: "group", "aria-label": "kernel weights" });
  const operation = radios(`${id}-operation`, ["convolution", "correlation"], model.get("operation"), "operation");
  const boundary = select(model.get("boundaries"), model.get("boundary"));
  const normalise = element("input", { type: "checkbox" });
  normalise.checked = model.get("normalise");

  const source = imageSource(model, say, (decoded) => {
    image = decoded;
    paintPlanes(original, image, 0, 1);
    update();
  });

  function drawGrid() {
    const side = model.get("size");
    const weights = model.get("weights");
    const inputs = grid.querySelectorAll("input");
    if (inputs.length !== side * side) {
      const rows = [];
      for (let r = 0; r < side; r++) {
        const row = element("div", { className: "course-kernel-row" });
        for (let c = 0; c < side; c++) {
          const input = element("input", {
            type: "text", inputmode: "decimal", spellcheck: "false",
            "aria-label": `weight row ${r + 1} column ${c + 1}`,
          });
          input.addEventListener("change", () => onCell(r * side + c, input.value));
          row.append(element("span", { className: "course-kernel-cell" }, [input]));
        }
        rows.push(row);
      }
      grid.replaceChildren(...rows);
    }
    grid.querySelectorAll("input").forEach((input, i) => {
      if (input.value !== weights[i]) input.value = weights[i];
    });
  }

  function onCell(index, text) {
    const weights = model.get("weights").slice();
    weights[index] = text;
    model.set("weights", weights);
    model.set("preset", "custom");
    model.save_changes();
    update();
  }

  presetMenu.addEventListener("change", () => {
    const name = presetMenu.value;
    model.set("preset", name);
    if (name !== "custom") {
      const preset = model.get("presets")[name];
      model.set("size", preset.kernel.length);
      model.set("weights", preset.text.flat());
    }
    model.save_changes();
    update();
  });
  sizeChoice.addEventListener("change", () => {
    const side = Number(radioValue(sizeChoice)[0]);
    const old = model.get("size");
    if (side === old) return;
    model.set("weights", resizeCells(model.get("weights"), old, side));
    model.set("size", side);
    model.set("preset", "custom");
    model.save_changes();
    update();
  });
  operation.addEventListener("change", () => {
    model.set("operation", radioValue(operation));
    model.save_changes();
    update();
  });
  boundary.addEventListener("change", () => {
    model.set("boundary", boundary.value);
    model.save_changes();
    update();
  });
  normalise.addEventListener("change", () => {
    model.set("normalise", normalise.checked);
    model.save_changes();
    update();
  });

  function syncControls() {
    presetMenu.value = model.get("preset");
    setRadio(sizeChoice, `${model.get("size")}x${model.get("size")}`);
    setRadio(operation, model.get("operation"));
    boundary.value = model.get("boundary");
    normalise.checked = model.get("normalise");
    drawGrid();
  }

  const update = coalesce(() => {
    syncControls();
    let kernel;
    try {
      kernel = kernelOf(model);
    } catch (error) {
      say(error.message);
      return;
    }
    if (!image) return;
    if (model.get("compute") === "kernel") { // Python filters and sends the picture
      paintKernel(kernel);
      return;
    }
    const result = filterPlanes(image, kernel.kernel, kernel.side, model.get("boundary"),
      model.get("operation") === "convolution");
    const [low, high] = valueRange(result);
    if (!(Number.isFinite(low) && Number.isFinite(high))) {
      say("The filtered values overflow (they pass 1.8e308): the weights are too large.");
      return;
    }
    const [black, white] = displayRange(low, high);
    paintPlanes(filtered, { ...image, planes: result }, black, white);
    paintKernel(kernel);
    const how = black === 0 && white === 1 ? "shown as is" : "rescaled to black..white for display";
    say(`result in [${shortNumber(low)}, ${shortNumber(high)}], ${how}`, "info");
  });

  function paintKernel(kernel) {
    let limit = 0;
    for (const w of kernel.kernel) limit = Math.max(limit, Math.abs(w));
    limit = limit || 1;
    paintColormap(kernelView, kernel.kernel, kernel.side, -limit, limit, bytesOf(model.get("kernel_colours")));
  }

  const detach = listen(model, {
    ...source.listeners,
    "change:preset": update, "change:size": update, "change:weights": update,
    "change:operation": update, "change:boundary": update, "change:normalise": update,
    "change:compute": update,
    "change:message": () => model.get("message") && say(model.get("message"), model.get("message_kind")),
    "change:result": () => {
      const bytes = bytesOf(model.get("result"));
      if (bytes.length) paintPng(filtered, bytes);
    },
  });

  const controls = element("div", { className: "course-controls" }, [
    source.controls,
    element("div", { className: "course-row" }, [
      labelled("kernel", presetMenu, "course-kernel-preset"), sizeChoice]),
    grid,
    element("div", { className: "course-row" }, [operation]),
    element("div", { className: "course-row" }, [
      labelled("boundary", boundary, "course-boundary"),
      element("label", { className: "course-field course-normalise" }, [normalise, element("span", { text: "normalise (sum to 1)" })])]),
  ]);
  const pictures = element("div", { className: "course-pictures" }, [
    figure("original", original), figure("filtered", filtered), figure("kernel (red > 0, blue < 0)", kernelView)]);
  const root = element("div", { className: "course-explorer course-kernel-explorer", role: "group", "aria-label": "kernel explorer" },
    [controls, message, pictures]);
  el.append(keepKeys(root));
  syncControls();
  source.fromModel();
  if (model.get("compute") === "kernel" && bytesOf(model.get("result")).length) paintPng(filtered, bytesOf(model.get("result")));
  return () => { detach(); root.remove(); };
}

// ---------------------------------------------------------------------- Gaussian explorer

/** filters.gaussian_kernel_1d: exp(-x^2 / (2 sigma^2)) at x = -r..r, r = ceil(3 sigma), sum 1. */
function gaussianTaps(sigma) {
  const size = 2 * Math.ceil(Math.min(3 * sigma, 1e300)) + 1;
  const weights = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const x = (i - (size >> 1)) / sigma;
    weights[i] = Math.exp(-0.5 * x * x);
  }
  const total = numpySum(weights);
  return weights.map((w) => w / total);
}

function renderGaussianExplorer(model, el) {
  const width = model.get("display_width");
  const message = element("div", { className: "course-message", role: "status", "aria-live": "polite" });
  const say = (text, kind = "error") => showMessage(message, text, kind);
  const kernelView = picture("course-gaussian-kernel", "the Gaussian kernel, bright at its centre", 160);
  const blurred = picture("course-gaussian-image", "the blurred image", width);
  let image = null;

  const slider = element("input", {
    type: "range", min: String(model.get("sigma_min")), max: String(model.get("sigma_max")),
    step: String(model.get("sigma_step")), "aria-label": "sigma",
  });
  slider.value = String(model.get("sigma"));
  const readout = element("output", { className: "course-readout" });
  const source = imageSource(model, say, (decoded) => {
    image = decoded;
    update();
  });

  slider.addEventListener("input", () => {
    model.set("sigma", Number(slider.value));
    model.save_changes();
    update();
  });

  const update = coalesce(() => {
    const sigma = model.get("sigma");
    slider.value = String(sigma);
    readout.textContent = pyFixed(sigma, 2);
    slider.setAttribute("aria-valuetext", `sigma ${pyFixed(sigma, 2)} pixels`);
    if (!image) return;
    const taps = gaussianTaps(sigma);
    const side = taps.length;
    const kernel = new Float64Array(side * side);
    for (let i = 0; i < side; i++) for (let j = 0; j < side; j++) kernel[i * side + j] = taps[i] * taps[j];
    let centre = 0;
    for (const w of kernel) centre = Math.max(centre, w);
    paintColormap(kernelView, kernel, side, 0, centre, bytesOf(model.get("kernel_colours")));
    if (model.get("compute") !== "kernel") {
      const result = separablePlanes(image, taps, "symm");
      const [low, high] = valueRange(result);
      const [black, white] = displayRange(low, high);
      paintPlanes(blurred, { ...image, planes: result }, black, white);
    }
    say(`kernel ${side}x${side} (2*ceil(3 sigma) + 1), centre weight ${pyFixed(centre, 4)}`, "info");
  });

  const detach = listen(model, {
    ...source.listeners,
    "change:sigma": update,
    "change:compute": update,
    "change:message": () => model.get("message") && say(model.get("message"), model.get("message_kind")),
    "change:result": () => {
      const bytes = bytesOf(model.get("result"));
      if (bytes.length) paintPng(blurred, bytes);
    },
  });
  const root = element("div", { className: "course-explorer course-gaussian-explorer", role: "group", "aria-label": "Gaussian explorer" }, [
    source.controls,
    element("div", { className: "course-row course-sigma-slider" }, [labelled("sigma", slider), readout]),
    message,
    element("div", { className: "course-pictures" }, [figure("kernel", kernelView), figure("blurred", blurred)]),
  ]);
  el.append(keepKeys(root));
  update();
  source.fromModel();
  if (model.get("compute") === "kernel" && bytesOf(model.get("result")).length) paintPng(blurred, bytesOf(model.get("result")));
  return () => { detach(); root.remove(); };
}

// ---------------------------------------------------------------------------------- entry

function render({ model, el }) {
  return model.get("kind") === "gaussian" ? renderGaussianExplorer(model, el) : renderKernelExplorer(model, el);
}

export default { render };
// For the tests and the benchmark: the arithmetic on its own.
export { readNumber, parseWeight, shortNumber, pyFixed, pyG6, filterPlanes, separablePlanes, gaussianTaps, kernelOf };
