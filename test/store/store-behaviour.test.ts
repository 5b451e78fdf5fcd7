import { afterAll, beforeAll, describe } from 'vitest';
import { FileLeaseStore } from '../../src/store/file-store.js';
import { RedisLeaseStore } from '../../src/store/redis-store.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { tempDir } from '../helpers/temp.js';
import { storeBehaviour } from './store-behaviour.js';

// This file's ports: 30000-30199 (the file store) and 30200-30399 (Redis), 20 per case.

describe('the file lease store', () => {
  storeBehaviour(() => new FileLeaseStore({ home: tempDir('berth-home-'), warn: () => {} }), 30000);
});

describe('the Redis lease store', () => {
  let redis: RedisServer;
  const stores: RedisLeaseStore[] = [];
  let count = 0;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await redis?.stop();
  });
  // Each case in its own key prefix of one redis-server.
  storeBehaviour(() => {
    const store = new RedisLeaseStore({ target: redis.url, home: tempDir('berth-home-'), prefix: `case${++count}:` });
    stores.push(store);
    return store;
  }, 30200);
});
