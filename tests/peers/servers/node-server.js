#!/usr/bin/env node
'use strict';
// Reference WebSocket server on the npm `ws` package (installed in tests/peers/node).
// Behaviour is chosen per connection by the request path; see tests/peers/README.md.
//
//   node tests/peers/servers/node-server.js --port 0 [--host 127.0.0.1]
//        [--tls-cert CERT.pem --tls-key KEY.pem] [--events] [--exit-on-stdin-eof]
//
// First stdout line: {"event":"listening","port":N}.

const fs = require('fs');
const http = require('http');
const https = require('https');
const path = require('path');
const { createRequire } = require('module');

const requireFromPeers = createRequire(path.join(__dirname, '..', 'node', 'package.json'));
const { WebSocketServer } = requireFromPeers('ws');

const MAX_MESSAGE = 256 * 1024 * 1024;

function log(...args) {
  try {
    process.stderr.write('node-server: ' + args.join(' ') + '\n');
  } catch (_) {
    /* stderr gone */
  }
}

function emit(obj) {
  const data = Buffer.from(JSON.stringify(obj) + '\n', 'utf8');
  let off = 0;
  while (off < data.length) {
    try {
      off += fs.writeSync(1, data, off, data.length - off);
    } catch (e) {
      if (e.code === 'EAGAIN') continue;
      process.exit(1);
    }
  }
}

function usage(msg) {
  process.stderr.write(
    'usage: node node-server.js [--port N] [--host H] [--tls-cert C --tls-key K] [--events] [--exit-on-stdin-eof]\n' +
      (msg ? msg + '\n' : ''));
  process.exit(2);
}

function parseArgs(argv) {
  const a = { port: 0, host: '127.0.0.1', cert: null, key: null, events: false, exitOnEof: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(k + ' wants a value');
      return argv[++i];
    };
    if (k === '--port') a.port = Number(val());
    else if (k === '--host') a.host = val();
    else if (k === '--tls-cert') a.cert = val();
    else if (k === '--tls-key') a.key = val();
    else if (k === '--events') a.events = true;
    else if (k === '--exit-on-stdin-eof') a.exitOnEof = true;
    else usage('unknown option ' + k);
  }
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535) usage('bad --port');
  if (!!a.cert !== !!a.key) usage('--tls-cert and --tls-key go together');
  return a;
}

const args = parseArgs(process.argv.slice(2));

const ROUTES = new Set(['/', '/echo', '/close', '/vanish', '/headers']);

// Request headers as received: lower-case names, repeated headers joined with ", ".
function headersOf(req) {
  const out = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    const value = req.rawHeaders[i + 1];
    out[name] = name in out ? out[name] + ', ' + value : value;
  }
  return out;
}

function refuse(socket, status, body) {
  const phrase = http.STATUS_CODES[status] || 'Refused';
  const payload = Buffer.from(body, 'utf8');
  socket.end(
    `HTTP/1.1 ${status} ${phrase}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${payload.length}\r\n\r\n` + payload.toString('utf8'));
}

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  maxPayload: MAX_MESSAGE,
  clientTracking: false,
  // Accept the first subprotocol the client offers.
  handleProtocols: (protocols) => {
    for (const p of protocols) return p;
    return false;
  },
});

function echo(ws) {
  ws.on('message', (data, isBinary) => {
    ws.send(data, { binary: isBinary }, (err) => {
      if (err) log('echo:', err.message);
    });
  });
}

function onConnection(ws, req, url) {
  const route = url.pathname;
  if (args.events) emit({ event: 'connection', path: req.url, subprotocol: ws.protocol || '' });
  ws.on('error', (err) => log('connection', req.url, 'error:', err.message));
  ws.on('close', (code, reason) => {
    if (args.events) emit({ event: 'closed', path: req.url, code: code, reason: reason.toString('utf8') });
  });
  switch (route) {
    case '/':
    case '/echo':
      echo(ws);
      break;
    case '/close': {
      const code = Number(url.searchParams.get('code') || '1000');
      const reason = url.searchParams.get('reason') || '';
      try {
        ws.close(code, reason);
      } catch (e) {
        log('close:', e.message);
        ws.terminate();
      }
      break;
    }
    case '/vanish':
      ws.once('message', () => {
        // Gone without a close frame: destroy the TCP socket.
        ws.terminate();
      });
      break;
    case '/headers':
      ws.send(JSON.stringify({ path: req.url, headers: headersOf(req), subprotocol: ws.protocol || '' }));
      echo(ws);
      break;
    default:
      ws.terminate();
  }
}

function onUpgrade(req, socket, head) {
  socket.on('error', (e) => log('socket:', e.message));
  let url;
  try {
    url = new URL(req.url, 'http://localhost');
  } catch (_) {
    refuse(socket, 400, 'bad request target\n');
    return;
  }
  if (url.pathname === '/reject') {
    const status = Number(url.searchParams.get('status') || '403');
    if (!Number.isInteger(status) || status < 200 || status > 599 || status === 101) {
      refuse(socket, 400, 'status must be 200..599 and not 101\n');
      return;
    }
    refuse(socket, status, 'rejected by request\n');
    return;
  }
  if (!ROUTES.has(url.pathname)) {
    refuse(socket, 404, 'no such path; try /echo, /close, /vanish, /reject, /headers\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req, url));
}

const server = args.cert
  ? https.createServer({ cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) })
  : http.createServer();
server.on('request', (req, res) => {
  res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket', Connection: 'close' });
  res.end('WebSocket only\n');
});
server.on('upgrade', onUpgrade);
server.on('tlsClientError', (e) => log('tls:', e.message));
server.on('clientError', (e, socket) => {
  log('client:', e.message);
  socket.destroy();
});
server.on('error', (e) => {
  log('server:', e.message);
  process.exit(1);
});
server.listen(args.port, args.host, () => {
  emit({ event: 'listening', port: server.address().port });
});

if (args.exitOnEof) {
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
}
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
