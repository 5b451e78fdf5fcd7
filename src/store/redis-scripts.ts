/**
 * The Lua scripts behind the Redis lease store. Each runs atomically on the server: a claim
 * checks every port of its draft against every live lease and writes it in one step, so no two
 * berths, on any machine, can be given overlapping ports.
 *
 * Keys, under a prefix (ARGV[1], `berth:`), in the database of BERTH_STORE:
 *   lease        HASH id → the lease's JSON (opaque to the scripts)
 *   ports        HASH id → its ports, comma-separated (what conflicts are computed from)
 *   kind         HASH id → beat (stale once its heartbeat key expires) | keep | tied
 *   slot         HASH id → project NUL env NUL instance (instance numbers)
 *   beat:<id>    STRING with a TTL, refreshed by the owner's heartbeat
 *   sticky       HASH root NUL env NUL instance → JSON {group: first port}; sticky-order ZSET, seq
 *   reclaimed    HASH id → JSON of a reclaimed lease that listed process groups (leftovers);
 *   reclaimed-at HASH id → when (ms, the server's clock)
 * Lease ids whose owners the caller found dead on its own machine come as the last arguments.
 */

const COMMON = `
local P = ARGV[1]
local function key(name) return P .. name end
local function portset(csv)
  local set = {}
  for port in string.gmatch(csv or '', '%d+') do set[port] = true end
  return set
end
local function nowms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function drop(id)
  local json = redis.call('HGET', key('lease'), id)
  redis.call('HDEL', key('lease'), id)
  redis.call('HDEL', key('ports'), id)
  redis.call('HDEL', key('kind'), id)
  redis.call('HDEL', key('slot'), id)
  redis.call('DEL', key('beat:' .. id))
  return json
end
local function reclaim(dead)
  local kinds = redis.call('HGETALL', key('kind'))
  local out = {}
  local now = nil
  for i = 1, #kinds, 2 do
    local id, kind = kinds[i], kinds[i + 1]
    if dead[id] or (kind == 'beat' and redis.call('EXISTS', key('beat:' .. id)) == 0) then
      local json = drop(id)
      if json then
        out[#out + 1] = json
        if string.find(json, '"groups":[{', 1, true) then
          now = now or nowms()
          redis.call('HSET', key('reclaimed'), id, json)
          redis.call('HSET', key('reclaimed-at'), id, now)
        end
      end
    end
  end
  return out
end
local function conflicts(wanted, except)
  local all = redis.call('HGETALL', key('ports'))
  local out = {}
  for i = 1, #all, 2 do
    local id = all[i]
    if id ~= except then
      for port in string.gmatch(all[i + 1], '%d+') do
        if wanted[port] then
          out[#out + 1] = id
          out[#out + 1] = redis.call('HGET', key('lease'), id) or ''
          out[#out + 1] = all[i + 1]
          break
        end
      end
    end
  end
  return out
end
local function deadset(from)
  local set = {}
  for i = from, #ARGV do set[ARGV[i]] = true end
  return set
end
local function put(id, json, csv, kind, slot, ttl)
  redis.call('HSET', key('lease'), id, json)
  redis.call('HSET', key('ports'), id, csv)
  redis.call('HSET', key('kind'), id, kind)
  redis.call('HSET', key('slot'), id, slot)
  if kind == 'beat' then redis.call('SET', key('beat:' .. id), '1', 'PX', ttl) end
end
`;

/**
 * ARGV: prefix, id, lease JSON (its instance a placeholder), placeholder, ports, kind, ttl ms,
 * project NUL env NUL, requested instance, fixed (1/0), root NUL env NUL, sticky JSON, dead ids…
 * → {'ok', json} | {'conflict', id, json, ports, …} | {'taken', id, json}
 */
export const COMMIT = `${COMMON}
local id, template, token, csv, kind, ttl = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local group, requested, fixed, stickyprefix, sticky = ARGV[8], tonumber(ARGV[9]), ARGV[10] == '1', ARGV[11], ARGV[12]
reclaim(deadset(13))
local clash = conflicts(portset(csv), nil)
if #clash > 0 then
  table.insert(clash, 1, 'conflict')
  return clash
end
local slots = redis.call('HGETALL', key('slot'))
local used = {}
local holder = nil
for i = 1, #slots, 2 do
  local s = slots[i + 1]
  if string.sub(s, 1, #group) == group then
    local n = tonumber(string.sub(s, #group + 1))
    if n then
      used[n] = true
      if n == requested then holder = slots[i] end
    end
  end
end
local instance = requested
if holder then
  if fixed then return {'taken', holder, redis.call('HGET', key('lease'), holder) or ''} end
  instance = 1
  while used[instance] do instance = instance + 1 end
end
local at = string.find(template, token, 1, true)
local json = string.sub(template, 1, at - 1) .. tostring(instance) .. string.sub(template, at + #token)
put(id, json, csv, kind, group .. instance, ttl)
local sk = stickyprefix .. instance
redis.call('HSET', key('sticky'), sk, sticky)
redis.call('ZADD', key('sticky-order'), redis.call('INCR', key('seq')), sk)
local extra = redis.call('ZCARD', key('sticky-order')) - 1000
if extra > 0 then
  local popped = redis.call('ZPOPMIN', key('sticky-order'), extra)
  for i = 1, #popped, 2 do redis.call('HDEL', key('sticky'), popped[i]) end
end
return {'ok', json}
`;

/**
 * The heartbeat and re-registration in one. ARGV: prefix, id, JSON, ports, kind, slot, ttl, dead ids…
 * Present: its heartbeat key is set again → {'present'}. Missing (Redis restarted, or reclaimed
 * while its owner was cut off): put back unless another live lease names its ports.
 */
export const ENSURE = `${COMMON}
local id, json, csv, kind, slot, ttl = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if redis.call('HEXISTS', key('lease'), id) == 1 then
  if redis.call('HGET', key('kind'), id) == 'beat' then redis.call('SET', key('beat:' .. id), '1', 'PX', ttl) end
  return {'present'}
end
reclaim(deadset(8))
local clash = conflicts(portset(csv), id)
if #clash > 0 then
  table.insert(clash, 1, 'conflict')
  return clash
end
put(id, json, csv, kind, slot, ttl)
return {'restored'}
`;

/**
 * Compare and set. ARGV: prefix, id, expected JSON, new JSON, new ports ('' keeps them), check
 * (1: refuse ports another live lease holds), dead ids…
 * → {'ok', json} | {'missing'} | {'changed'} | {'conflict', …}
 */
export const REPLACE = `${COMMON}
local id, expected, json, csv, check = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6] == '1'
if check then reclaim(deadset(7)) end
local current = redis.call('HGET', key('lease'), id)
if not current then return {'missing'} end
if current ~= expected then return {'changed'} end
if check then
  local clash = conflicts(portset(csv), id)
  if #clash > 0 then
    table.insert(clash, 1, 'conflict')
    return clash
  end
end
redis.call('HSET', key('lease'), id, json)
if csv ~= '' then redis.call('HSET', key('ports'), id, csv) end
return {'ok', json}
`;

/** ARGV: prefix, id → the removed lease's JSON, or false. */
export const RELEASE = `${COMMON}
return drop(ARGV[2]) or false
`;

/** ARGV: prefix, dead ids… → the JSON of every reclaimed lease. */
export const RECLAIM = `${COMMON}
return reclaim(deadset(2))
`;

/**
 * Every lease at one instant. ARGV: prefix, with sticky (1/0)
 * → {{id, json, ports, kind, beating (1/0)}…}, {sticky key, JSON, …}
 */
export const VIEW = `${COMMON}
local ports = redis.call('HGETALL', key('ports'))
local leases = {}
for i = 1, #ports, 2 do
  local id = ports[i]
  local kind = redis.call('HGET', key('kind'), id) or 'keep'
  local beating = 1
  if kind == 'beat' then beating = redis.call('EXISTS', key('beat:' .. id)) end
  leases[#leases + 1] = {id, redis.call('HGET', key('lease'), id) or '', ports[i + 1], kind, beating}
end
local sticky = {}
if ARGV[2] == '1' then sticky = redis.call('HGETALL', key('sticky')) end
return {leases, sticky}
`;
