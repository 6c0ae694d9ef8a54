"""Reading a downloaded file in a test, whether the view streamed it (CSV, XLSX, a stored file)
or not."""


def file_bytes(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content
