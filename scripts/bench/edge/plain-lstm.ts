/**
 * A plain-TypeScript forward pass of the downtime LSTM, built from the weights inside the committed ONNX
 * file — only so the edge benchmark can compare onnxruntime-web with a no-wasm alternative inside
 * workerd. Not used by the product. plain-lstm.test.ts checks it against onnxruntime-web (≤ 1e-5).
 *
 * The graph it expects is what `torch.onnx.export` makes of model/train/model.py: two ONNX `LSTM` nodes
 * (one per layer; W [1, 4H, in], R [1, 4H, H], B [1, 8H], gates in ONNX order i, o, f, c) and two
 * `MatMul` + `Add` heads over the top layer's output (risk: horizons, forecast: forecast names). Anything
 * else is refused with a PlainLstmError rather than computed wrongly. Pure: no `node:*`, no `cloudflare:*`.
 */

export class PlainLstmError extends Error {
  readonly code = "UNSUPPORTED_GRAPH";
  constructor(message: string) {
    super(message);
    this.name = "PlainLstmError";
  }
}

// ---- a minimal protobuf reader for the parts of onnx.proto used here ----

type Field = { no: number; wire: number; varint: bigint; bytes: Uint8Array };

function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new PlainLstmError("truncated protobuf varint");
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  const empty = new Uint8Array(0);
  while (pos < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { no, wire, varint: varint(), bytes: empty };
    else if (wire === 2) {
      const len = Number(varint());
      yield { no, wire, varint: 0n, bytes: buf.subarray(pos, pos + len) };
      pos += len;
    } else if (wire === 1) {
      yield { no, wire, varint: 0n, bytes: buf.subarray(pos, pos + 8) };
      pos += 8;
    } else if (wire === 5) {
      yield { no, wire, varint: 0n, bytes: buf.subarray(pos, pos + 4) };
      pos += 4;
    } else throw new PlainLstmError(`unsupported protobuf wire type ${wire}`);
  }
}

const utf8 = new TextDecoder();

interface Tensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

const FLOAT = 1;

function parseTensor(buf: Uint8Array): Tensor {
  let name = "";
  const dims: number[] = [];
  let type = 0;
  let raw: Uint8Array | undefined;
  const floats: number[] = [];
  for (const f of fields(buf)) {
    if (f.no === 1 && f.wire === 0) dims.push(Number(f.varint));
    else if (f.no === 1 && f.wire === 2)
      for (const d of fields(packedVarints(f.bytes))) dims.push(Number(d.varint));
    else if (f.no === 2) type = Number(f.varint);
    else if (f.no === 4 && f.wire === 2) {
      const v = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
      for (let i = 0; i + 4 <= f.bytes.byteLength; i += 4) floats.push(v.getFloat32(i, true));
    } else if (f.no === 4 && f.wire === 5)
      floats.push(new DataView(f.bytes.buffer, f.bytes.byteOffset, 4).getFloat32(0, true));
    else if (f.no === 8) name = utf8.decode(f.bytes);
    else if (f.no === 9) raw = f.bytes;
  }
  if (type !== FLOAT) return { name, dims, data: new Float32Array(0) };
  let data: Float32Array;
  if (raw) {
    data = new Float32Array(raw.byteLength / 4);
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < data.length; i++) data[i] = v.getFloat32(i * 4, true);
  } else data = Float32Array.from(floats);
  return { name, dims, data };
}

/** Packed repeated varints → a buffer of (field 1, varint) pairs, so `fields` can read them. */
function packedVarints(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  let start = true;
  for (const b of bytes) {
    if (start) out.push(0x08);
    out.push(b);
    start = (b & 0x80) === 0;
  }
  return Uint8Array.from(out);
}

interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Tensor attribute `value` of Constant nodes. */
  value?: Tensor;
}

function parseNode(buf: Uint8Array): Node {
  const node: Node = { op: "", inputs: [], outputs: [] };
  for (const f of fields(buf)) {
    if (f.no === 1) node.inputs.push(utf8.decode(f.bytes));
    else if (f.no === 2) node.outputs.push(utf8.decode(f.bytes));
    else if (f.no === 4) node.op = utf8.decode(f.bytes);
    else if (f.no === 5) {
      let attrName = "";
      let t: Tensor | undefined;
      for (const a of fields(f.bytes)) {
        if (a.no === 1) attrName = utf8.decode(a.bytes);
        else if (a.no === 5) t = parseTensor(a.bytes);
      }
      if (attrName === "value" && t) node.value = t;
    }
  }
  return node;
}

function parseGraph(model: Uint8Array): { nodes: Node[]; tensors: Map<string, Tensor> } {
  let graph: Uint8Array | undefined;
  for (const f of fields(model)) if (f.no === 7) graph = f.bytes;
  if (!graph) throw new PlainLstmError("ONNX model has no graph");
  const nodes: Node[] = [];
  const tensors = new Map<string, Tensor>();
  for (const f of fields(graph)) {
    if (f.no === 1) nodes.push(parseNode(f.bytes));
    else if (f.no === 5) {
      const t = parseTensor(f.bytes);
      tensors.set(t.name, t);
    }
  }
  for (const n of nodes)
    if (n.op === "Constant" && n.value && n.outputs[0]) tensors.set(n.outputs[0], n.value);
  return { nodes, tensors };
}

// ---- the network ----

interface Layer {
  inputSize: number;
  /** [4H, in] and [4H, H] row-major, gates i, o, f, c; bias = Wb + Rb [4H]. */
  w: Float32Array;
  r: Float32Array;
  b: Float32Array;
}

interface Head {
  /** [H, out] row-major (MatMul's B), bias [out]. */
  w: Float32Array;
  b: Float32Array;
  out: number;
}

export interface PlainState {
  /** [layers, batch, hidden] row-major, like the ONNX graph's h0/c0. */
  h: Float32Array;
  c: Float32Array;
}

export interface PlainOutput {
  riskLogit: Float32Array;
  forecast: Float32Array;
  state: PlainState;
}

export class PlainLstm {
  readonly hidden: number;
  readonly layers: number;
  readonly nFeatures: number;
  readonly nHorizons: number;
  readonly nForecast: number;

  private constructor(
    private readonly stack: Layer[],
    private readonly risk: Head,
    private readonly fc: Head,
  ) {
    this.hidden = stack[0]!.b.length / 4;
    this.layers = stack.length;
    this.nFeatures = stack[0]!.inputSize;
    this.nHorizons = risk.out;
    this.nForecast = fc.out;
  }

  /** Reads the weights from ONNX bytes; `nHorizons`/`nForecast` tell the two heads apart. */
  static fromOnnx(
    bytes: Uint8Array,
    o: { nFeatures: number; nHorizons: number; nForecast: number },
  ): PlainLstm {
    const { nodes, tensors } = parseGraph(bytes);
    const get = (name: string | undefined, what: string): Tensor => {
      const t = name === undefined ? undefined : tensors.get(name);
      if (!t || t.data.length === 0) throw new PlainLstmError(`${what}: no float initializer '${name}'`);
      return t;
    };
    const lstms = nodes.filter((n) => n.op === "LSTM");
    if (lstms.length === 0) throw new PlainLstmError("no LSTM node in the graph");
    const stack = lstms.map((n, i): Layer => {
      const w = get(n.inputs[1], `LSTM ${i} W`);
      const r = get(n.inputs[2], `LSTM ${i} R`);
      const b = get(n.inputs[3], `LSTM ${i} B`);
      const [dirs, g4, inputSize] = w.dims;
      const hidden = (g4 ?? 0) / 4;
      if (
        dirs !== 1 ||
        inputSize === undefined ||
        r.dims.join() !== `1,${g4},${hidden}` ||
        b.data.length !== 8 * hidden
      ) {
        throw new PlainLstmError(`LSTM ${i}: unexpected shapes W ${w.dims} R ${r.dims} B ${b.dims}`);
      }
      const bias = new Float32Array(4 * hidden);
      for (let k = 0; k < 4 * hidden; k++) bias[k] = b.data[k]! + b.data[4 * hidden + k]!;
      return { inputSize, w: w.data, r: r.data, b: bias };
    });
    // Layer 0 reads the features; the others read the previous layer's hidden state.
    stack.sort((a, b) => Number(b.inputSize === o.nFeatures) - Number(a.inputSize === o.nFeatures));
    const hidden = stack[0]!.b.length / 4;
    if (stack[0]!.inputSize !== o.nFeatures || stack.slice(1).some((l) => l.inputSize !== hidden)) {
      throw new PlainLstmError(
        `LSTM input sizes ${stack.map((l) => l.inputSize)} do not chain from ${o.nFeatures} features`,
      );
    }
    const head = (out: number): Head => {
      for (const mm of nodes.filter((n) => n.op === "MatMul")) {
        const w = tensors.get(mm.inputs[1] ?? "");
        if (!w || w.dims.join() !== `${hidden},${out}`) continue;
        const add = nodes.find((n) => n.op === "Add" && n.inputs.includes(mm.outputs[0] ?? "?"));
        const bName = add?.inputs.find((x) => x !== mm.outputs[0]);
        const b = get(bName, `bias of the ${out}-output head`);
        if (b.data.length !== out)
          throw new PlainLstmError(`head bias has ${b.data.length} values, expected ${out}`);
        return { w: w.data, b: b.data, out };
      }
      throw new PlainLstmError(`no MatMul head with weights [${hidden}, ${out}]`);
    };
    if (o.nHorizons === o.nForecast) throw new PlainLstmError("heads of equal width cannot be told apart");
    return new PlainLstm(stack, head(o.nHorizons), head(o.nForecast));
  }

  zeroState(batch = 1): PlainState {
    const n = this.layers * batch * this.hidden;
    return { h: new Float32Array(n), c: new Float32Array(n) };
  }

  /** Same contract as LstmModel.run: x [batch, steps, features]; state [layers, batch, hidden]; not modified. */
  run(x: Float32Array, batch: number, steps: number, state: PlainState): PlainOutput {
    const H = this.hidden;
    const F = this.nFeatures;
    if (x.length !== batch * steps * F)
      throw new PlainLstmError(`x has ${x.length} values, expected ${batch * steps * F}`);
    const h = Float32Array.from(state.h);
    const c = Float32Array.from(state.c);
    const riskLogit = new Float32Array(batch * steps * this.nHorizons);
    const forecast = new Float32Array(batch * steps * this.nForecast);
    const gates = new Float64Array(4 * H);
    const hNew = new Float32Array(H);
    for (let bi = 0; bi < batch; bi++) {
      for (let t = 0; t < steps; t++) {
        let input: Float32Array = x.subarray((bi * steps + t) * F, (bi * steps + t + 1) * F);
        for (let l = 0; l < this.layers; l++) {
          const { w, r, b, inputSize } = this.stack[l]!;
          const off = (l * batch + bi) * H;
          for (let g = 0; g < 4 * H; g++) {
            let s = b[g]!;
            const wo = g * inputSize;
            for (let j = 0; j < inputSize; j++) s += w[wo + j]! * input[j]!;
            const ro = g * H;
            for (let j = 0; j < H; j++) s += r[ro + j]! * h[off + j]!;
            gates[g] = s;
          }
          for (let k = 0; k < H; k++) {
            const i = sigmoid(gates[k]!);
            const o = sigmoid(gates[H + k]!);
            const f = sigmoid(gates[2 * H + k]!);
            const cc = Math.tanh(gates[3 * H + k]!);
            const cNew = f * c[off + k]! + i * cc;
            c[off + k] = cNew;
            hNew[k] = o * Math.tanh(cNew);
          }
          h.set(hNew, off);
          input = h.subarray(off, off + H);
        }
        const top = input;
        headOut(this.risk, top, riskLogit, (bi * steps + t) * this.nHorizons, H);
        headOut(this.fc, top, forecast, (bi * steps + t) * this.nForecast, H);
      }
    }
    return { riskLogit, forecast, state: { h, c } };
  }
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function headOut(head: Head, hTop: Float32Array, out: Float32Array, at: number, H: number): void {
  for (let k = 0; k < head.out; k++) {
    let s = head.b[k]!;
    for (let j = 0; j < H; j++) s += hTop[j]! * head.w[j * head.out + k]!;
    out[at + k] = s;
  }
}
