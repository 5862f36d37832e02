-- bench/load.py --wrk: the ceiling, the trivial endpoint back to back.
wrk.path = "/healthz"
