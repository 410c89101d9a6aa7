#!/usr/bin/env node
'use strict';
// WebSocket test peer on the npm `ws` package.
// Speaks the line protocol of tests/peers/PROTOCOL.md: JSON commands on stdin,
// JSON events on stdout (one a line), diagnostics on stderr.

const crypto = require('crypto');
const fs = require('fs');
const readline = require('readline');
const WebSocket = require('ws');

const DATA_LIMIT = 65536;
const MAX_MESSAGE = 256 * 1024 * 1024;
const HIGH_WATER = 1024 * 1024; // send_many: wait for the socket above this much buffered
const YIELD_EVERY = 256; // send_many: let incoming data be handled between frames

function log(...args) {
  try {
    process.stderr.write('node-peer: ' + args.join(' ') + '\n');
  } catch (_) {
    /* stderr gone */
  }
}

// stdout to a pipe is synchronous on Linux; write straight to fd 1 anyway so that
// every line is out before the next statement and a broken pipe is seen at once.
function emit(obj) {
  const data = Buffer.from(JSON.stringify(obj) + '\n', 'utf8');
  let off = 0;
  while (off < data.length) {
    try {
      off += fs.writeSync(1, data, off, data.length - off);
    } catch (e) {
      if (e.code === 'EAGAIN') continue;
      // Nobody reads our events any more.
      process.exit(1);
    }
  }
}

function fail(message) {
  emit({ event: 'error', message: String(message) });
  process.exit(1);
}

function usage(msg) {
  process.stderr.write(
    'usage: node peer.js --url URL [--ca FILE] [--header K:V]... [--subprotocol P]... ' +
      '[--origin O] [--no-close-on-eof]\n' + (msg ? msg + '\n' : ''));
  process.exit(2);
}

function parseArgs(argv) {
  const a = { url: null, ca: null, headers: {}, subprotocols: [], origin: null, closeOnEof: true };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(k + ' wants a value');
      return argv[++i];
    };
    if (k === '--url') a.url = val();
    else if (k === '--ca') a.ca = val();
    else if (k === '--header') {
      const h = val();
      const c = h.indexOf(':');
      if (c < 0) usage('--header wants K:V');
      a.headers[h.slice(0, c).trim()] = h.slice(c + 1).trim();
    } else if (k === '--subprotocol') a.subprotocols.push(val());
    else if (k === '--origin') a.origin = val();
    else if (k === '--no-close-on-eof') a.closeOnEof = false;
    else if (k === '--deflate') a.deflate = true;
    else usage('unknown option ' + k);
  }
  if (!a.url) usage('--url is required');
  return a;
}

function messageEvent(data, isBinary) {
  const buf = Buffer.isBuffer(data)
    ? data
    : Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.from(data);
  const ev = {
    event: 'message',
    type: isBinary ? 'binary' : 'text',
    length: buf.length,
    sha256: crypto.createHash('sha256').update(buf).digest('hex'),
  };
  if (buf.length <= DATA_LIMIT) ev.data = isBinary ? buf.toString('base64') : buf.toString('utf8');
  return ev;
}

function generated(type, size) {
  if (type === 'text') {
    const b = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i++) b[i] = 97 + (i % 26);
    return { data: b.toString('latin1'), binary: false };
  }
  if (type === 'binary') {
    const b = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i++) b[i] = i % 251;
    return { data: b, binary: true };
  }
  throw new Error('send_generated: type must be text or binary');
}

const args = parseArgs(process.argv.slice(2));

const options = {
  headers: args.headers,
  perMessageDeflate: args.deflate === true,
  maxPayload: MAX_MESSAGE,
  handshakeTimeout: 30000,
  followRedirects: false,
};
if (args.origin !== null) options.origin = args.origin;
if (args.ca) {
  try {
    options.ca = fs.readFileSync(args.ca);
  } catch (e) {
    fail('cannot read --ca: ' + e.message);
  }
}

let ws;
try {
  ws = new WebSocket(args.url, args.subprotocols, options);
} catch (e) {
  fail('connect failed: ' + e.message);
}

let opened = false;
let closed = false;
let lastError = null;
const commands = []; // lines waiting for the command loop
let stdinEnded = false;
let wake = null; // resolves the command loop's wait for more lines

function poke() {
  if (wake) {
    const w = wake;
    wake = null;
    w();
  }
}

ws.on('open', () => {
  opened = true;
  emit({ event: 'open', subprotocol: ws.protocol || '', extensions: ws.extensions || '' });
  commandLoop().catch((e) => fail('command loop: ' + (e && e.stack ? e.stack : e)));
});

ws.on('message', (data, isBinary) => {
  emit(messageEvent(data, isBinary));
});

ws.on('error', (err) => {
  lastError = err;
  if (!opened) fail('connect failed: ' + err.message);
  // After open, a broken connection ends with the close event (1006 or the code ws chose).
  log('error:', err.message);
});

ws.on('close', (code, reason) => {
  if (!opened) fail('connect failed: ' + (lastError ? lastError.message : 'closed before open'));
  closed = true;
  emit({ event: 'close', code: code, reason: reason.toString('utf8') });
  process.exit(0);
});

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
function isQuit(line) {
  if (!line.includes('quit')) return false;
  try {
    const c = JSON.parse(line);
    return c !== null && typeof c === 'object' && c.op === 'quit';
  } catch (_) {
    return false;
  }
}

rl.on('line', (line) => {
  // "exit at once": not queued behind a running send or close.
  if (isQuit(line)) process.exit(0);
  commands.push(line);
  poke();
});
rl.on('close', () => {
  stdinEnded = true;
  poke();
});
process.stdin.on('error', (e) => {
  log('stdin:', e.message);
  stdinEnded = true;
  poke();
});

function nextLine() {
  if (commands.length > 0) return Promise.resolve(commands.shift());
  if (stdinEnded) return Promise.resolve(null);
  return new Promise((resolve) => {
    wake = () => resolve(nextLine());
  });
}

function sendOne(data, binary) {
  return new Promise((resolve, reject) => {
    ws.send(data, { binary: binary, fin: true }, (err) => (err ? reject(err) : resolve()));
  });
}

const setImmediateP = () => new Promise((r) => setImmediate(r));

// Hands frames to ws in order; resolves with the count once the last one was written to
// the socket, or with -1 if the connection went away meanwhile.
async function sendFrames(count, frameAt) {
  let last = null;
  for (let i = 0; i < count; i++) {
    if (closed || ws.readyState !== WebSocket.OPEN) return -1;
    const f = frameAt(i);
    last = sendOne(f.data, f.binary);
    last.catch(() => {}); // observed below
    if (ws.bufferedAmount > HIGH_WATER) {
      try {
        await last;
      } catch (e) {
        log('send:', e.message);
        return -1;
      }
    } else if ((i + 1) % YIELD_EVERY === 0) {
      await setImmediateP();
    }
  }
  try {
    if (last) await last;
  } catch (e) {
    log('send:', e.message);
    return -1;
  }
  return count;
}

async function doSend(count, frameAt) {
  const n = await sendFrames(count, frameAt);
  if (n >= 0) emit({ event: 'sent', count: n });
  // else: the close event will follow
}

function waitForever() {
  return new Promise(() => {});
}

async function runCommand(cmd) {
  switch (cmd.op) {
    case 'send':
      if (typeof cmd.text === 'string') return doSend(1, () => ({ data: cmd.text, binary: false }));
      if (typeof cmd.binary === 'string') {
        const b = Buffer.from(cmd.binary, 'base64');
        return doSend(1, () => ({ data: b, binary: true }));
      }
      throw new Error('send wants text or binary');
    case 'send_many': {
      const prefix = cmd.prefix === undefined ? '' : String(cmd.prefix);
      const count = Number(cmd.count);
      if (!Number.isInteger(count) || count < 0) throw new Error('send_many: bad count');
      return doSend(count, (i) => ({ data: prefix + i, binary: false }));
    }
    case 'send_generated': {
      const size = Number(cmd.size);
      if (!Number.isInteger(size) || size < 0) throw new Error('send_generated: bad size');
      const g = generated(cmd.type, size);
      return doSend(1, () => g);
    }
    case 'close': {
      const code = cmd.code === undefined ? 1000 : cmd.code;
      const reason = cmd.reason === undefined ? '' : String(cmd.reason);
      ws.close(code, reason);
      return waitForever(); // the close event ends the peer
    }
    case 'drop':
      ws.terminate();
      return waitForever();
    case 'quit':
      process.exit(0);
      return undefined;
    default:
      throw new Error('unknown op ' + JSON.stringify(cmd.op));
  }
}

async function commandLoop() {
  for (;;) {
    const line = await nextLine();
    if (line === null) break;
    if (line.trim() === '') continue;
    let cmd;
    try {
      cmd = JSON.parse(line);
      if (cmd === null || typeof cmd !== 'object' || Array.isArray(cmd)) throw new Error('not an object');
    } catch (e) {
      fail('bad command ' + JSON.stringify(line.slice(0, 200)) + ': ' + e.message);
    }
    try {
      await runCommand(cmd);
    } catch (e) {
      fail(cmd.op + ' failed: ' + e.message);
    }
  }
  // End of stdin.
  if (args.closeOnEof) ws.close(1000, '');
  else ws.terminate();
}
