"""Serve a fresh in-memory embedded database for one benchmark run, with a control channel on stdin.

    python -m bench.dbserver     # prints "embedded-mongodb listening on port N", then reads commands

The server is the one devtools/embedded_mongodb.py runs (MemoryEngine, devtools.mongoeco_compat fixes,
mongoeco's wire server). Two things the wire cannot do well are done in-process, on stdin:

    seed DB COLLECTION FILE   insert the BSON documents of FILE in one engine batch; answers "seeded N"
    profile start             start cProfile in the server's event loop; answers "profiling"
    profile stop FILE         stop it and dump the stats to FILE; answers "profiled"

Seeding goes around the wire because mongoeco 4.11.0 runs the wire `insert` command as one
insert_one per document, and each insert_one compares the new _id with every stored document:
5,000 products take over a minute and a 2,000-document batch times out, while the engine's own
insert_many (which checks _id against its storage keys) loads 15,000 documents in a few seconds.
"""

import asyncio
import cProfile
import signal
import sys
from pathlib import Path

import bson

from devtools.background import HOST
from devtools.embedded_mongodb import READY_PREFIX


async def serve():
    from mongoeco import AsyncMongoClient
    from mongoeco.engines.memory import MemoryEngine
    from mongoeco.wire import AsyncMongoEcoProxyServer

    from devtools import mongoeco_compat

    mongoeco_compat.install()
    engine = MemoryEngine()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with (
        AsyncMongoEcoProxyServer(engine=engine, host=HOST, port=0) as server,
        AsyncMongoClient(engine) as client,
    ):
        print(f"{READY_PREFIX}{server.address.port}", flush=True)
        control = asyncio.create_task(read_commands(client, stop))
        await stop.wait()
        control.cancel()


async def read_commands(client, stop):
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    profiler = None
    while line := (await reader.readline()).decode():
        command = line.split()
        match command:
            case ["seed", database, collection, path]:
                documents = bson.decode_all(Path(path).read_bytes())
                await client[database][collection].insert_many(documents)
                answer = f"seeded {len(documents)}"
            case ["profile", "start"]:
                profiler = cProfile.Profile()
                profiler.enable()
                answer = "profiling"
            case ["profile", "stop", path] if profiler is not None:
                profiler.disable()
                profiler.dump_stats(path)
                profiler = None
                answer = "profiled"
            case _:
                answer = f"error: unknown command {line.strip()!r}"
        print(answer, flush=True)
    # The bench closed our stdin: it is gone, so stop serving.
    stop.set()


if __name__ == "__main__":
    asyncio.run(serve())
