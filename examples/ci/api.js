// The example service: a list of items in memory, JSON over HTTP on $PORT, /health for readiness.
import http from 'node:http';

const port = Number(process.env.PORT);
const items = [];
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  if (req.url === '/health') return res.end('{"ok":true}');
  if (req.url !== '/items') {
    res.statusCode = 404;
    return res.end('{"error":"not found"}');
  }
  if (req.method !== 'POST') return res.end(JSON.stringify(items));
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    items.push(JSON.parse(body));
    res.statusCode = 201;
    res.end(JSON.stringify({ count: items.length }));
  });
});
server.listen(port, '127.0.0.1', () => console.log(`api listening on http://127.0.0.1:${port}`));
process.on('SIGTERM', () => {
  console.log('api: SIGTERM, closing');
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
