-- Shared by the load scripts: the bench's tablets (shelter id and token, written by
-- bench/load.py to the file in LOAD_TABLETS) and the requests a tablet sends.
local M = {}
M.tablets = dofile(os.getenv("LOAD_TABLETS"))
local categories = {"food", "water", "medicine", "interpretation", "information", "hygiene"}
local languages = {"vi", "zh-Hans", "tl", "ne", "ko", "pt", "en", "id"}
local run = os.time()
local sent = 0

local function pick(list) return list[math.random(#list)] end

local function auth(tablet, json)
  local headers = {["Authorization"] = "Bearer " .. tablet.token}
  if json then headers["Content-Type"] = "application/json" end
  return headers
end

function M.seed(thread_number) math.randomseed(run + thread_number) end

-- an idempotent need: a new client id for every request, unique across threads and runs
function M.new_need(thread_number)
  sent = sent + 1
  local tablet = pick(M.tablets)
  local body = string.format(
    '{"client_id":"wrk-%d-%d-%d","shelter_id":"%s","category":"%s","language":"%s",' ..
    '"people":%d}', run, thread_number, sent, tablet.shelter, pick(categories),
    pick(languages), math.random(1, 6))
  return wrk.format("POST", "/api/v1/needs", auth(tablet, true), body)
end

-- the mix of bench/load.py's phase 3, in the same shares
function M.mix(thread_number)
  local roll = math.random()
  local tablet = pick(M.tablets)
  if roll < 0.30 then return M.new_need(thread_number) end
  if roll < 0.40 then
    return wrk.format("PATCH", "/api/v1/shelters/" .. tablet.shelter, auth(tablet, true),
                      string.format('{"evacuees":%d}', math.random(100, 400)))
  end
  if roll < 0.60 then
    return wrk.format("GET", "/api/v1/needs?shelter_id=" .. tablet.shelter .. "&limit=50",
                      auth(tablet))
  end
  if roll < 0.80 then
    return wrk.format("GET", "/shelters/" .. tablet.shelter .. "/tablet", auth(tablet))
  end
  return wrk.format("GET", "/board/" .. tablet.shelter, auth(tablet))
end

return M
