-- bench/load.py --wrk: a tablet's requests; the argument after `--` names them:
-- `needs` (need registration, a new client id each) or `mix` (phase 3's shares).
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local tablets = require("tablets")
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("number", threads)
end

function init(args)
  tablets.seed(number)
  kind = args[1] == "needs" and tablets.new_need or tablets.mix
end

function request() return kind(number) end
