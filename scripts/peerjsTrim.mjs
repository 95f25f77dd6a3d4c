// An esbuild plugin trimming what PeerJS 1.5 bundles and swarmfetch never runs, in every build that bundles PeerJS
// (the drop-in dist/swarmfetch.js and the npm page entry dist/esm/index.js). swarmfetch makes one kind of Peer
// (client/swarmfetchDeps.ts: options host/port/path/key/secure/token/debug/config, always a `config`, never an id,
// a log function or serializers), only where RTCPeerConnection exists (`hasWebRTC`), opens `raw` data connections
// and calls `on`, `connect`, `reconnect`, `destroy` and reads `options`, `destroyed`, `disconnected`:
// - its `json` and `binary` serializations: swarmfetch speaks `raw` and closes any other connection at once
//   (client/peer/Signalling.ts), so every name maps to the raw class and the others drop out of the bundle;
// - its `logger.log(…)` calls (level 3): swarmfetch gives PeerJS `debug` 2 at most, so they never print;
// - its `util.supports` probe, which makes and closes an RTCPeerConnection (and a data channel) when the script
//   loads, on every page: its only reader is Peer's constructor, which runs only where RTCPeerConnection exists,
//   so it becomes a constant — and with it the browser detection (webrtc-adapter's stand-in) and util's fields
//   and helpers for the binary serialization (pack, unpack, chunking) go;
// - media calls: swarmfetch places none (`call`), and an offered one was closed as soon as PeerJS handed it over
//   (`peer.on('call')`); now PeerJS treats a media offer as it treats any other unknown connection type (ignored,
//   a warning at debug 2): no MediaConnection is made, nothing is held (its later signalling is bounded as before:
//   client/peer/boundLostMessages.ts);
// - `listAllPeers` (deprecated, never called), the deprecated `connections` getter, the `logFunction` option, and
//   PeerJS's public-cloud default ICE servers (swarmfetch always passes its own `config`);
// - eventemitter3, of which PeerJS and swarmfetch use `on(event, fn)`, `emit(event, …args)` and
//   `removeAllListeners()`: a Map-based emitter with the same semantics for those three (listeners called in the
//   order added, with the emitter as `this`, the ones added during an emit not called by it, a throw propagating
//   to the emitter's caller) stands in;
// - its enums (`ServerMessageType.Offer`, …): each use becomes its string, so the enum objects drop out.
// Each edit must match PeerJS's published bundle exactly as many times as expected, or the build fails: a new
// PeerJS version is then looked at, never trimmed by guesswork.
import { readFileSync } from 'node:fs';

const RAW = '$bbaee3f15f714663$export$6f88fe47d32c9c94';
const LOGGER = '$257947e92926277a$export$2e2bcd8739ae039';
const SUPPORTS = '$fb63e766cfafaab9$export$25be9502477c137d';
const ENUMS = '$78455e22dea96b8c$export$';
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A class member from its head (`name(args) {`) to its closing brace, which PeerJS's bundle indents by 4. */
const member = (head) => new RegExp(`${esc(head)} \\{\\n[\\s\\S]*?\\n    \\}\\n`, 'g');

const EMITTER = `var $c4dcfd1d1ea86647$exports = { EventEmitter: class {
    constructor() { this._events = new Map(); }
    on(event, fn, context) {
        if (typeof fn !== "function") throw new TypeError("The listener must be a function");
        const listener = { fn: fn, context: context || this }, list = this._events.get(event);
        if (list) list.push(listener); else this._events.set(event, [listener]);
        return this;
    }
    emit(event, ...args) {
        const list = this._events.get(event);
        if (!list) return false;
        for (const { fn: fn, context: context } of [...list]) fn.apply(context, args);
        return true;
    }
    removeAllListeners(event) {
        if (event) this._events.delete(event); else this._events.clear();
        return this;
    }
} };
`;

const EDITS = [
  {
    what: 'serializations other than raw',
    pattern: /(json|binary|"binary-utf8"|default): \(0, \$(?:817f931e3f9096cf\$export\$48880ac635f47186|9fcfddb3ae148f88\$export\$f0a5a64d5bb37108)\)/g,
    replace: (_m, key) => `${key}: (0, ${RAW})`,
    count: 4,
  },
  {
    what: 'logger.log calls',
    pattern: new RegExp(esc(`(0, ${LOGGER}).log(`), 'g'),
    replace: () => `/* @__PURE__ */ (0, ${LOGGER}).log(`,
    minCount: 30,
  },
  {
    what: 'util.supports probe',
    pattern: /this\.supports = function\(\) \{[\s\S]*?return supported;\s*\}\(\),/g,
    replace: () => 'this.supports = { browser: true, webRTC: true, audioVideo: true, data: true, binaryBlob: true, reliable: true },',
    count: 1,
  },
  {
    what: "util's browser fields and binary-serialization helpers",
    pattern: new RegExp(esc(`this.browser = (0, ${SUPPORTS}).getBrowser(), this.browserVersion = (0, ${SUPPORTS}).getVersion(), this.pack = $gCcbY$pack, this.unpack = $gCcbY$unpack, `), 'g'),
    replace: () => '',
    count: 1,
  },
  {
    what: "util's chunkedBrowsers",
    pattern: /this\.chunkedBrowsers = \{\s*Chrome: 1,\s*chrome: 1\s*\}, /g,
    replace: () => '',
    count: 1,
  },
  {
    what: "util's blob helpers",
    pattern: /    noop\(\) \{\}\n    blobToArrayBuffer\(blob, cb\) \{\n[\s\S]*?\n    \}\n    binaryStringToArrayBuffer\(binary\) \{\n[\s\S]*?\n    \}\n/g,
    replace: () => '',
    count: 1,
  },
  {
    what: "util's Chunker base class",
    pattern: /class \$4f4134156c446392\$export\$f8f26dd395d7e1bd extends \(0, \$fcbcc7538a6776d5\$export\$f1c5f4c9cb95390b\) \{([\s\S]*?)constructor\(\.\.\.args\)\{\n        super\(\.\.\.args\), /g,
    replace: (_m, body) => `class $4f4134156c446392$export$f8f26dd395d7e1bd {${body}constructor(){\n        `,
    count: 1,
  },
  {
    what: 'browser detection (unread once util.supports is a constant)',
    pattern: new RegExp(esc(`const ${SUPPORTS} = new class {`), 'g'),
    replace: () => `const ${SUPPORTS} = /* @__PURE__ */ new class {`,
    count: 1,
  },
  {
    what: "webrtc-adapter's default-export fallback",
    pattern: /\(0, \$gCcbY\$webrtcadapter\)\.default \|\| \(0, \$gCcbY\$webrtcadapter\);/g,
    replace: () => '$gCcbY$webrtcadapter;',
    count: 1,
  },
  { what: 'Peer.call', pattern: member('call(peer, stream, options = {})'), replace: () => '', count: 1 },
  {
    what: 'media offers',
    pattern: /if \(payload\.type === \(0, \$78455e22dea96b8c\$export\$3157d57b4135e3bc\)\.Media\) \{\n[\s\S]*?this\.emit\("call", mediaConnection\);\n\s*\} else /g,
    replace: () => '',
    count: 1,
  },
  {
    // a static block would keep the (now unused) class in the bundle; a plain static field lets it drop out
    what: "MediaConnection's ID_PREFIX",
    pattern: /static #_ = this\.ID_PREFIX = "mc_";/g,
    replace: () => 'static ID_PREFIX = "mc_";',
    count: 1,
  },
  {
    what: "the negotiator's media-only helpers",
    pattern: /    _addTracksToConnection\(stream, peerConnection\) \{\n[\s\S]*?\n    \}\n    _addStreamToMediaConnection\(stream, mediaConnection\) \{\n[\s\S]*?\n    \}\n/g,
    replace: () => '',
    count: 1,
  },
  { what: 'listAllPeers (Peer, API)', pattern: /(?:async )?listAllPeers\((?:cb = \(_\)=>\{\})?\) \{\n[\s\S]*?\n    \}\n/g, replace: () => '', count: 2 },
  { what: 'the connections getter', pattern: member('get connections()'), replace: () => '', count: 1 },
  {
    what: 'the logFunction option',
    pattern: new RegExp(esc(`if (this._options.logFunction) (0, ${LOGGER}).setLogFunction(this._options.logFunction);`), 'g'),
    replace: () => '',
    count: 1,
  },
  { what: 'Logger.setLogFunction', pattern: member('    setLogFunction(fn)'), replace: () => '', count: 1 },
  {
    what: "PeerJS's default ICE servers",
    pattern: /this\.defaultConfig = \$4f4134156c446392\$var\$DEFAULT_CONFIG, /g,
    replace: () => 'this.defaultConfig = {}, ',
    count: 1,
  },
  {
    what: 'eventemitter3',
    pattern: /var \$c4dcfd1d1ea86647\$exports = \{\};\n'use strict';\n[\s\S]*?\n\$c4dcfd1d1ea86647\$exports = \$c4dcfd1d1ea86647\$var\$EventEmitter;\n/g,
    replace: () => EMITTER,
    count: 1,
  },
  {
    // the enums' module object (its getters would keep every enum): unused, so droppable
    what: '$parcel$export calls',
    pattern: /^\$parcel\$export\(/gm,
    replace: () => '/* @__PURE__ */ $parcel$export(',
    count: 7,
  },
];

/** Every `(0, Enum).Member` becomes the member's string; fails on a member it does not know or too few uses. */
function inlineEnums(source) {
  const values = new Map();
  const definition = new RegExp(`var (${esc(ENUMS)}[0-9a-f]+) = /\\*#__PURE__\\*/ function\\((\\w+)\\) \\{\\n([\\s\\S]*?)\\n    return \\2;\\n\\}\\(\\{\\}\\);`, 'g');
  for (const [, name, param, body] of source.matchAll(definition)) {
    for (const [, key, value] of body.matchAll(new RegExp(`\\b${param}\\["(\\w+)"\\] = ("[^"\\\\]*");`, 'g'))) values.set(`${name}.${key}`, value);
  }
  let n = 0;
  const out = source.replace(new RegExp(`\\(0, (${esc(ENUMS)}[0-9a-f]+)\\)\\.(\\w+)`, 'g'), (_m, name, key) => {
    const value = values.get(`${name}.${key}`);
    if (value === undefined) throw new Error(`peerjs-trim: enum member ${name}.${key} not found: a new PeerJS build? See scripts/peerjsTrim.mjs`);
    n++;
    return value;
  });
  if (values.size !== 36 || n !== 52) throw new Error(`peerjs-trim: enums: ${values.size} members, ${n} uses (expected 36, 52): a new PeerJS build? See scripts/peerjsTrim.mjs`);
  return out;
}

/** PeerJS's published bundle with the edits above (exported for the test that checks they all still apply). */
export function trimPeerjs(source) {
  if (!source.includes(`class ${RAW} `)) throw new Error(`peerjs-trim: PeerJS's raw serialization class ${RAW} not found: a new PeerJS build? See scripts/peerjsTrim.mjs`);
  for (const edit of EDITS) {
    let n = 0;
    source = source.replace(edit.pattern, (...m) => (n++, edit.replace(...m)));
    if ((edit.count !== undefined && n !== edit.count) || (edit.minCount !== undefined && n < edit.minCount)) {
      throw new Error(`peerjs-trim: ${edit.what} matched ${n} times (expected ${edit.count ?? `≥ ${edit.minCount}`}): a new PeerJS build? See scripts/peerjsTrim.mjs`);
    }
  }
  return inlineEnums(source);
}

export const peerjsTrim = {
  name: 'peerjs-trim',
  setup(build) {
    build.onLoad({ filter: /[\\/]peerjs[\\/]dist[\\/]bundler\.mjs$/ }, (args) => ({ contents: trimPeerjs(readFileSync(args.path, 'utf8')), loader: 'js' }));
  },
};
