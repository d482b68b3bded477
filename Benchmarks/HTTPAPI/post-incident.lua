-- wrk script for Benchmarks/HTTPAPI/run.sh: every request opens an incident with
-- POST /v1/incidents. The Authorization header comes from wrk's -H option.
wrk.method = "POST"
wrk.body = '{"title":"wrk benchmark incident","category":"malware","severity":"high"}'
wrk.headers["Content-Type"] = "application/json"
