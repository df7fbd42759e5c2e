const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Calls `onLine(bytes, lineNumber)` for every line of a byte stream, line numbers from 1. Lines end
 * with `\n` or `\r\n`; the last may lack its newline. A line split across chunks is joined, and a
 * chunk's lines are views into it, not copies. Line ends are found with `indexOf` (native memchr),
 * not by walking every byte in JS.
 */
export async function forEachLine(
  chunks: AsyncIterable<Uint8Array>,
  onLine: (line: Uint8Array, lineNumber: number) => void,
): Promise<number> {
  let lineNumber = 0;
  let carry: Uint8Array[] = [];
  const emit = (line: Uint8Array) => {
    const end = line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length;
    onLine(line.subarray(0, end), ++lineNumber);
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, end);
      if (carry.length > 0) {
        emit(Buffer.concat([...carry, piece]));
        carry = [];
      } else {
        emit(piece);
      }
      start = end + 1;
    }
    // Copy the unfinished tail: the stream may reuse the chunk's memory.
    if (start < chunk.length) carry.push(Uint8Array.prototype.slice.call(chunk, start));
  }
  if (carry.length > 0) emit(Buffer.concat(carry));
  return lineNumber;
}
