"""Read Whoosh's segment files in place instead of copying them.

Whoosh memory-maps a compound segment (`.seg`) and hands out each file inside it as a `BufferFile`,
whose constructor wraps the mapped bytes in `io.BytesIO` - and `BytesIO` copies them. Opening an
index therefore copied every postings and terms file into memory: 184 MB and about 100 ms for a
20 000-record index, paid by every `esfsearch query` (a new process each time). `MemoryReader` gives
`BufferFile` the same file interface over the mapped bytes without the copy.
"""

from __future__ import annotations

import io

from whoosh.filedb import structfile


class MemoryReader(io.RawIOBase):
    """A read-only, seekable file over a buffer (bytes, memoryview or mmap), sharing its memory."""

    def __init__(self, buf) -> None:
        super().__init__()
        self._view = memoryview(buf)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._view) if size is None or size < 0 else min(len(self._view), start + size)
        self._pos = max(start, end)
        return self._view[start:end].tobytes()

    def readinto(self, buffer) -> int:
        data = self.read(len(memoryview(buffer)))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        scan = self._pos
        while scan < end:  # look for the newline in steps, not in the whole rest
            step = min(end, scan + 256)
            found = self._view[scan:step].tobytes().find(b"\n")
            if found >= 0:
                return self.read(scan + found + 1 - self._pos)
            scan = step
        return self.read(end - self._pos)

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            pos += self._pos
        elif whence == io.SEEK_END:
            pos += len(self._view)
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def tell(self) -> int:
        return self._pos

    def getvalue(self) -> bytes:
        return self._view.tobytes()

    def close(self) -> None:
        """Let go of the mapped memory, so that Whoosh can unmap the segment when it closes it."""
        if not self.closed:
            try:
                self._view.release()
            except BufferError:  # a view of it is still in use; the garbage collector frees it
                pass
        super().close()


_COPYING_INIT = structfile.BufferFile.__init__


def _buffer_file_init(self, buf, name=None, onclose=None) -> None:
    # BufferFile.__init__ of whoosh 2.7.5, with MemoryReader in place of BytesIO
    self._buf = buf
    self._name = name
    self.file = MemoryReader(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


def read_segments_in_place(enabled: bool = True) -> None:
    """Make Whoosh's BufferFile share the mapped segment instead of copying it (idempotent);
    `enabled=False` puts Whoosh's own copying constructor back (tests compare the two)."""
    structfile.BufferFile.__init__ = _buffer_file_init if enabled else _COPYING_INIT
