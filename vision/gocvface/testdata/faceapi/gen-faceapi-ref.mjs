// gen-faceapi-ref.mjs: regenerates the *.f32 reference outputs in this
// directory with the pinned @vladmandic/face-api JavaScript (tfjs CPU
// backend). Dev-only: not part of `make models` or the tests, which only
// read the .f32 files.
//
//   make models && node vision/gocvface/testdata/faceapi/gen-faceapi-ref.mjs vision/gocvface/testdata/faceapi
//
// The package's browser bundle is used because its Node build needs the
// native tfjs-node; `process` is hidden during import so that tfjs does
// not pick its Node platform (which the bundle stubs out), and a minimal
// platform is set instead.
const root = new URL('../../../../', import.meta.url).pathname; // repository root
const realProcess = globalThis.process; globalThis.process = undefined;
const faceapi = await import(root + '.cache/npm/node_modules/@vladmandic/face-api/dist/face-api.esm.js');
globalThis.process = realProcess;
const fs = await import('fs');
const tf = faceapi.tf;
tf.env().setPlatform('custom', {fetch: globalThis.fetch, now: () => performance.now(), encode: (s) => new TextEncoder().encode(s), decode: (b, e) => new TextDecoder(e).decode(b), isTypedArray: (a) => ArrayBuffer.isView(a) && !(a instanceof DataView), setTimeoutCustom: (f, t) => setTimeout(f, t)});
class C {}
faceapi.env.monkeyPatch({Canvas: C, CanvasRenderingContext2D: C, Image: C, ImageData: C, Video: C, createCanvasElement: () => new C(), createImageElement: () => new C()});
await tf.setBackend('cpu'); await tf.ready();
const dir = root + '.cache/npm/node_modules/@vladmandic/face-api/model/';
function wm(name) {
  const m = JSON.parse(fs.readFileSync(dir + name + '-weights_manifest.json'));
  const b = Buffer.concat(m[0].paths.map(p => fs.readFileSync(dir + p)));
  return tf.io.decodeWeights(b.buffer.slice(b.byteOffset, b.byteOffset + b.length), m[0].weights);
}
const pix = fs.readFileSync(root + '../shared/testdata/faceapi-reference/hopper150.rgb');
const out = process.argv[2];
const save = (name, arr) => { fs.writeFileSync(out + '/' + name, Buffer.from(new Float32Array(arr).buffer)); console.log(name, arr.length); };

// Landmarks: centre 112x112 crop of hopper150 (rows and columns 19..130).
const crop = new Int32Array(112*112*3);
for (let y = 0; y < 112; y++) for (let x = 0; x < 112; x++) for (let c = 0; c < 3; c++) crop[(y*112+x)*3+c] = pix[((y+19)*150+(x+19))*3+c];
for (const [net, name] of [[faceapi.nets.faceLandmark68Net, 'face_landmark_68_model'], [faceapi.nets.faceLandmark68TinyNet, 'face_landmark_68_tiny_model']]) {
  net.loadFromWeightMap(wm(name));
  const r = await net.forward(tf.tensor3d(crop, [112,112,3], 'int32'));
  save(name + '.hopper112.f32', await r.data());
}
// Detector: 416x416 grey (128) canvas with hopper150 at x=100, y=80.
const S = 416, canvas = new Int32Array(S*S*3).fill(128);
for (let y = 0; y < 150; y++) for (let x = 0; x < 150; x++) for (let c = 0; c < 3; c++) canvas[((y+80)*S+(x+100))*3+c] = pix[(y*150+x)*3+c];
const det = faceapi.nets.tinyFaceDetector;
det.loadFromWeightMap(wm('tiny_face_detector_model'));
const raw = await det.forward(tf.tensor3d(canvas, [S,S,3], 'int32'), S);
console.log('detector raw shape', raw.shape);
save('tiny_face_detector_model.hopper416.f32', await raw.data());
const dets = await det.locateFaces(tf.tensor3d(canvas, [S,S,3], 'int32'), new faceapi.TinyFaceDetectorOptions({inputSize: S, scoreThreshold: 0.5}));
for (const d of dets) console.log('detection', d.score, JSON.stringify(d.box));
