#!/usr/bin/env node
'use strict';
// The second reference of bench/run.sh: an echo server on the npm `ws` package, one process,
// each message echoed as it came (text as text, binary as binary). A text message
// "!broadcast BODY" is not echoed: BODY goes once to every open connection (the sender included).
//
//   node server.js [--host 127.0.0.1] [--port 0] [--cert CERT.pem --key KEY.pem] [--max-message BYTES] [--deflate]
// --max-message: ws's maxPayload (a longer message closes with 1009), default the add-in's 64 MiB.
// --deflate: accept permessage-deflate (ws's defaults, every message compressed: threshold 0).
// POST /push or /broadcast, the add-in's path (header X-Push-Secret when --push-secret is given): the body to every open connection,
// answered 200 with their number (the reference for the add-in's push endpoint, issue 11).
// Prints ws://HOST:PORT/ (wss:// with a certificate) once listening.
const fs = require('fs');
const http = require('http');
const https = require('https');
const { WebSocketServer } = require('ws');

const args = { host: '127.0.0.1', port: 0, cert: null, key: null, maxMessage: 64 * 1024 * 1024, deflate: false, pushSecret: null };
for (let i = 2; i < process.argv.length; i++) {
  const k = process.argv[i];
  if (k === '--deflate') { args.deflate = true; continue; }
  const v = process.argv[++i];
  if (k === '--host') args.host = v;
  else if (k === '--port') args.port = Number(v);
  else if (k === '--cert') args.cert = v;
  else if (k === '--key') args.key = v;
  else if (k === '--max-message') args.maxMessage = Number(v);
  else if (k === '--push-secret') args.pushSecret = v;
  else {
    process.stderr.write('usage: node server.js [--host H] [--port N] [--cert C --key K] [--max-message BYTES] [--deflate] [--push-secret S]\n');
    process.exit(2);
  }
}

const tls = Boolean(args.cert);
const server = tls
  ? https.createServer({ cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) })
  : http.createServer();
let wss = null;
server.on('request', (req, res) => {
  if (req.method === 'POST' && (req.url === '/push' || req.url === '/broadcast')) {
    const given = Buffer.from(String(req.headers['x-push-secret'] || ''));
    const want = args.pushSecret === null ? null : Buffer.from(args.pushSecret);
    if (want && (given.length !== want.length || !require('crypto').timingSafeEqual(given, want))) {
      res.writeHead(403);
      res.end();
      return;
    }
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      let n = 0;
      for (const client of wss.clients) {
        if (client.readyState === 1) { client.send(body, { binary: false }); n++; }
      }
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(n).length });
      res.end(String(n));
    });
    return;
  }
  res.writeHead(426, { Upgrade: 'websocket' });
  res.end();
});

const PREFIX = Buffer.from('!broadcast ');
wss = new WebSocketServer({ server, maxPayload: args.maxMessage, perMessageDeflate: args.deflate ? { threshold: 0 } : false });
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.length >= PREFIX.length && data[0] === 0x21 && data.subarray(0, PREFIX.length).equals(PREFIX)) {
      const body = data.subarray(PREFIX.length);
      for (const client of wss.clients) {
        if (client.readyState === 1) client.send(body, { binary: false });
      }
      return;
    }
    ws.send(data, { binary: isBinary });
  });
});

server.listen(args.port, args.host, () => {
  const host = args.host.includes(':') ? `[${args.host}]` : args.host;
  process.stdout.write(`${tls ? 'wss' : 'ws'}://${host}:${server.address().port}/\n`);
});
const stop = () => {
  for (const client of wss.clients) client.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
