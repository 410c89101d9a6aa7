// Waits until the page open in a headless Chromium shows a text in its #log, through the DevTools
// protocol (a --dump-dom snapshot is taken on a timer, not when the echo arrives).
// Usage: node wait-for-text.js DEBUG_PORT TEXT TIMEOUT_MS     exit 0 when seen, 1 otherwise.
"use strict";
const path = require("path");
const WebSocket = require(path.join(__dirname, "../peers/node/node_modules/ws"));

const [port, expected, timeoutMs] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4] || 10000)];
const deadline = Date.now() + timeoutMs;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function pageTarget() {
  while (Date.now() < deadline) {
    try {
      const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
      const page = targets.find((t) => t.type === "page" && t.webSocketDebuggerUrl);
      if (page) return page.webSocketDebuggerUrl;
    } catch {
      // Chromium is still starting.
    }
    await sleep(100);
  }
  throw new Error("no page target in Chromium");
}

async function main() {
  const socket = new WebSocket(await pageTarget());
  await new Promise((resolve, reject) => { socket.once("open", resolve); socket.once("error", reject); });
  let id = 0;
  const evaluate = (expression) => new Promise((resolve) => {
    const callId = ++id;
    const onMessage = (data) => {
      const reply = JSON.parse(data);
      if (reply.id === callId) {
        socket.off("message", onMessage);
        resolve(reply.result && reply.result.result ? reply.result.result.value : undefined);
      }
    };
    socket.on("message", onMessage);
    socket.send(JSON.stringify({ id: callId, method: "Runtime.evaluate", params: { expression } }));
  });
  let log = "";
  while (Date.now() < deadline) {
    log = (await evaluate("document.getElementById('log') ? document.getElementById('log').innerText : ''")) || "";
    if (log.includes(expected)) {
      socket.close();
      return 0;
    }
    await sleep(100);
  }
  console.log("the page's log:\n" + log);
  socket.close();
  return 1;
}

main().then((code) => process.exit(code), (error) => { console.log(String(error)); process.exit(1); });
