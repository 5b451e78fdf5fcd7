// The example API: JSON on PORT, /health for readiness, /orders counts the worker's calls.
import http from 'node:http';

const port = Number(process.env.PORT);
let orders = 0;
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  if (req.url === '/health') return res.end('{"ok":true}');
  if (req.url === '/orders' && req.method === 'POST') orders += 1;
  res.end(JSON.stringify({ orders, instance: process.env.BERTH_INSTANCE, port }));
});
server.listen(port, '127.0.0.1', () => console.log(`api listening on http://127.0.0.1:${port}`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    console.log(`api: ${signal}, closing`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
