// The tests `berth run -- npm test` runs: they find the api through API_PORT, which berth sets.
import assert from 'node:assert/strict';
import { test } from 'node:test';

const api = `http://127.0.0.1:${process.env.API_PORT}`;

test('berth gave the tests the api port and the instance', () => {
  assert.match(process.env.API_PORT ?? '', /^\d+$/);
  assert.equal(process.env.BERTH_ENV, 'test');
  assert.match(process.env.BERTH_INSTANCE ?? '', /^\d+$/);
});

test('the api is up before the tests start', async () => {
  const response = await fetch(`${api}/health`);
  assert.equal(response.status, 200);
});

test('items posted to the api come back', async () => {
  const posted = await fetch(`${api}/items`, { method: 'POST', body: JSON.stringify({ name: 'first' }) });
  assert.equal(posted.status, 201);
  const items = await (await fetch(`${api}/items`)).json();
  assert.deepEqual(items, [{ name: 'first' }]);
});
