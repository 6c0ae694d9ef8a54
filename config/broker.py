"""kombu's file-system transport, made safe for a worker that polls while others publish.

The stock transport creates a message file under its final name and then writes into it. A worker
listing the folder in between takes the empty file, fails to decode it and stops with an
"unrecoverable error" (and `make run` stops with it). Bursts make that likely: the reminder planner
queues hundreds of messages while the worker drains the folder. Here each message is written under
a name the worker ignores and then renamed, which is atomic within one folder: a message appears
whole or not at all.

Used only when CELERY_BROKER_URL is filesystem:// (see the end of config/settings/base.py).
"""

import contextlib
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # Same name as kombu's (time first, so the worker takes messages in order). The worker
        # only takes names whose text after the first dot is "<queue>.msg": a leading dot hides
        # the temporary file from it.
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        temporary = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(temporary, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(temporary, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.remove(temporary)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class FileSystemTransport(filesystem.Transport):
    Channel = Channel
