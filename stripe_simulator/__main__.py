"""Command line: ``python -m stripe_simulator --port 12111 --webhook-url URL``."""

import argparse
import logging
import os
import signal
import sys
import threading

from .billing import AFTER_FAILED_RETRIES
from .simulator import StripeSimulator
from .webhooks import DEFAULT_SECRET, DELIVERY_MODES


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m stripe_simulator",
        description="Serve an offline Stripe API simulator with a hosted checkout page.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("STRIPE_SIMULATOR_PORT", "12111")),
        help="default: $STRIPE_SIMULATOR_PORT or 12111",
    )
    parser.add_argument(
        "--webhook-url",
        default=os.environ.get("STRIPE_SIMULATOR_WEBHOOK_URL"),
        help="where to POST events (default: $STRIPE_SIMULATOR_WEBHOOK_URL; none: no delivery)",
    )
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get("STRIPE_WEBHOOK_SECRET", DEFAULT_SECRET),
        help=f"signing secret (default: $STRIPE_WEBHOOK_SECRET or {DEFAULT_SECRET})",
    )
    parser.add_argument(
        "--public-url",
        help="base URL browsers use to reach the simulator, if not http://HOST:PORT",
    )
    parser.add_argument(
        "--state-file",
        default=os.environ.get("STRIPE_SIMULATOR_STATE_FILE"),
        help="JSON file keeping the simulated account across restarts "
        "(default: $STRIPE_SIMULATOR_STATE_FILE; none: state is lost on exit)",
    )
    parser.add_argument(
        "--async-settle-delay",
        type=float,
        default=10.0,
        help="seconds before a bank transfer clears by itself (default: 10)",
    )
    parser.add_argument(
        "--after-failed-retries",
        choices=AFTER_FAILED_RETRIES,
        default=os.environ.get("STRIPE_SIMULATOR_AFTER_FAILED_RETRIES", "cancel"),
        help="what becomes of a subscription whose renewal failed its last retry: canceled or left "
        "unpaid (default: $STRIPE_SIMULATOR_AFTER_FAILED_RETRIES or cancel)",
    )
    parser.add_argument(
        "--delivery",
        choices=DELIVERY_MODES,
        default=os.environ.get("STRIPE_SIMULATOR_DELIVERY", "ordered"),
        help="how webhooks go out: ordered, or unruly (reordered, some twice, retried longer) "
        "(default: $STRIPE_SIMULATOR_DELIVERY or ordered)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(message)s", force=True)

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())

    try:
        simulator = StripeSimulator(
            args.host,
            args.port,
            webhook_url=args.webhook_url,
            webhook_secret=args.webhook_secret,
            async_settle_delay=args.async_settle_delay,
            public_url=args.public_url,
            state_file=args.state_file,
            after_failed_retries=args.after_failed_retries,
            delivery=args.delivery,
        ).start()
    except ValueError as error:
        parser.error(str(error))
    logging.info(
        "Stripe simulator at %s, webhooks to %s, state in %s",
        simulator.url,
        args.webhook_url or "nowhere",
        args.state_file or "memory only",
    )
    stopping.wait()
    simulator.stop()
    logging.info("Stripe simulator stopped")


if __name__ == "__main__":
    main()
