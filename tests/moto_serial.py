"""moto's server (DynamoDB, SES, S3), one request at a time.

moto_server serves requests on several threads and does not lock its
backends: under load, a conditional write or a transaction is not atomic
(two racing conditional updates can both succeed), which DynamoDB never
allows. This runs the same moto application behind one lock, so each
request applies as a whole, as on AWS. Same arguments as moto_server.

    python3 tests/moto_serial.py -H 127.0.0.1 -p 5000
"""

import argparse
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()

    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serial(environ, start_response):
        with lock:
            # The whole body is produced under the lock.
            return [b"".join(app(environ, start_response))]

    run_simple(args.host, args.port, serial, threaded=True)


if __name__ == "__main__":
    main()
