// The example worker: posts an order to the API every 2 seconds. It learns the API's address
// from its command line (`--api http://127.0.0.1:${api.port}` in ports.yaml).
const api = process.argv[process.argv.indexOf('--api') + 1];
console.log(`worker started, api at ${api}`);
const timer = setInterval(async () => {
  try {
    const res = await fetch(`${api}/orders`, { method: 'POST' });
    const body = await res.json();
    console.log(`worker: order placed, ${body.orders} so far`);
  } catch (error) {
    console.error(`worker: api unreachable: ${error.message}`);
  }
}, 2000);
process.on('SIGTERM', () => {
  clearInterval(timer);
  console.log('worker: stopped');
});
