-- wrk script for the independent cross-check of gateway intake (bench/run.sh): the same shape
-- as wuguan-loadgen (a third of the complaints about one estate's repairs, the rest spread),
-- each with its own Idempotency-Key, a town-office token. Arguments: token, comma-separated
-- estate ids, a run label. Prints one JSON line when done.
local cats = { "repair", "sanitation", "property_service", "neighbour_dispute", "illegal_stall", "security" }
local threads = {}
local counter, token, estates, run = 0, nil, {}, nil

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  token = args[1]
  for e in string.gmatch(args[2], "[^,]+") do table.insert(estates, e) end
  run = args[3] .. "-" .. thread_id
end

function request()
  counter = counter + 1
  local estate, category
  if counter % 3 == 0 then
    estate, category = estates[1], "repair"
  else
    estate = estates[(counter * 7919) % #estates + 1]
    category = cats[math.floor(counter / 3) % #cats + 1]
  end
  local body = string.format(
    '{"town":"zhongxing","estate_id":"%s","category":"%s","description":"wrk %s-%d","reporter_phone":"13800000000"}',
    estate, category, run, counter)
  return wrk.format("POST", "/api/v1/complaints", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = run .. "-" .. counter,
  }, body)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local failed = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"label":"%s","tool":"wrk","ok":%d,"failed":%d,"seconds":%.3f,"throughput":%.1f,"p50_ms":%.3f,"p99_ms":%.3f}\n',
    "wrk", summary.requests - failed, failed, seconds, (summary.requests - failed) / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
