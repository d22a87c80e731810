namespace PeterRec.Ingest.Windows;

/// <summary>
/// The Lua script that applies one user's clicks of one batch to the user's window, atomically.
/// </summary>
/// <remarks>
/// KEYS[1] window list, KEYS[2] applied-offsets hash. ARGV[1] window size, ARGV[2] TTL seconds (0 = none), then per
/// event: partition, offset, ts, encoded entry; events sorted by (ts, partition, offset).
/// Idempotency: the hash holds, per partition, the highest offset applied for this user; an event at or below it is
/// a redelivery and ignored. Per user and partition, offsets are applied in order (one consume thread, batches in
/// offset order), so "at or below" means "already in the window".
/// Order: the window is in event-time order; equal ts keep arrival order (an existing entry stays before a new one).
/// When every new event is at least as new as the newest entry (the normal case) they are appended; otherwise the
/// window is merged and rewritten. Entries beyond the window size fall off the old end; a new event that falls off
/// while an older-arrived entry behind it stays (it was older than what the window kept) counts as a late drop.
/// Returns {events applied, late drops}.
/// </remarks>
internal static class WindowScript
{
    public const string Source = """
        local maxLen = tonumber(ARGV[1])
        local ttl = tonumber(ARGV[2])
        local last, newest, seen = {}, {}, {}
        local fresh, freshTs = {}, {}
        for i = 3, #ARGV, 4 do
          local p = ARGV[i]
          local off = tonumber(ARGV[i + 1])
          if last[p] == nil then
            last[p] = tonumber(redis.call('HGET', KEYS[2], p) or '-1')
          end
          local id = p .. '/' .. ARGV[i + 1]
          if off > last[p] and not seen[id] then
            seen[id] = true
            fresh[#fresh + 1] = ARGV[i + 3]
            freshTs[#freshTs + 1] = tonumber(ARGV[i + 2])
            if newest[p] == nil or off > newest[p][1] then newest[p] = {off, ARGV[i + 1]} end
          end
        end
        if #fresh == 0 then return {0, 0} end
        local late = 0
        local tailTs = -1
        if redis.call('LLEN', KEYS[1]) > 0 then
          tailTs = tonumber(string.match(redis.call('LINDEX', KEYS[1], -1), '^(%d+):'))
        end
        if freshTs[1] >= tailTs then
          redis.call('RPUSH', KEYS[1], unpack(fresh, math.max(1, #fresh - maxLen + 1), #fresh))
        else
          local old = redis.call('LRANGE', KEYS[1], 0, -1)
          local merged, isNew = {}, {}
          local i, j = 1, 1
          while i <= #old or j <= #fresh do
            local takeOld
            if j > #fresh then takeOld = true
            elseif i > #old then takeOld = false
            else takeOld = tonumber(string.match(old[i], '^(%d+):')) <= freshTs[j] end
            if takeOld then merged[#merged + 1] = old[i]; isNew[#merged] = false; i = i + 1
            else merged[#merged + 1] = fresh[j]; isNew[#merged] = true; j = j + 1 end
          end
          local cut = math.max(0, #merged - maxLen)
          local lastOld = 0
          for k = 1, #merged do
            if not isNew[k] then lastOld = k end
          end
          for k = 1, math.min(cut, lastOld) do
            if isNew[k] then late = late + 1 end
          end
          redis.call('DEL', KEYS[1])
          redis.call('RPUSH', KEYS[1], unpack(merged, cut + 1, #merged))
        end
        redis.call('LTRIM', KEYS[1], -maxLen, -1)
        local fields = {}
        for p, o in pairs(newest) do
          fields[#fields + 1] = p
          fields[#fields + 1] = o[2]
        end
        redis.call('HSET', KEYS[2], unpack(fields))
        if ttl > 0 then
          redis.call('EXPIRE', KEYS[1], ttl)
          redis.call('EXPIRE', KEYS[2], ttl)
        end
        return {#fresh, late}
        """;
}
