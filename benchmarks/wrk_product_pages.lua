-- Random pages of the product list; the token and id range come from the environment.
local token = os.getenv("BENCH_TOKEN")
local max_id = tonumber(os.getenv("BENCH_MAX_ID"))
local function b64(data)
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
  return ((data:gsub(".", function(x)
    local r, b = "", x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return alphabet:sub(c + 1, c + 1)
  end))
end
math.randomseed(os.time())
request = function()
  local after = math.random(0, max_id - 60)
  local path = "/api/v1/products?limit=50&cursor=" .. b64('{"after": ' .. after .. '}')
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token, ["Accept-Language"] = "zh-CN"})
end
