# Executes a notebook top to bottom with nbclient (headless) and checks what it shows.
# Usage: python3 test/notebook/run.py NOTEBOOK [OUT]. Exits non-zero on any error cell.
import sys
from queue import Empty
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete, CellExecutionError
from nbclient.util import ensure_async

# Seconds of silence after a cell reports idle before its outputs are taken as complete.
GRACE = 1.0


class PatientClient(NotebookClient):
    """Keeps listening briefly after a cell reports idle, as a live frontend does: Deno's kernel can
    publish a display after its idle status, and nbclient alone would drop it."""

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        await super()._async_poll_output_msg(parent_msg_id, cell, cell_index)
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=GRACE))
            except Empty:
                return
            if msg['parent_header'].get('msg_id') == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    pass

path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
stale = [i for i, c in enumerate(nb.cells) if c.cell_type == 'code' and (c.outputs or c.execution_count)]
if stale:
    sys.exit(f'{path}: cells {stale} have saved outputs; commit the notebook without outputs')

client = PatientClient(nb, timeout=300, kernel_name='deno', resources={'metadata': {'path': 'examples'}})
try:
    client.execute()
except CellExecutionError as error:
    sys.exit(f'{path}: a cell failed:\n{error}')

kinds = set()
for i, cell in enumerate(nb.cells):
    if cell.cell_type != 'code':
        continue
    mimes = [m for o in cell.outputs for m in o.get('data', {}).keys()]
    errors = [o for o in cell.outputs if o.get('output_type') == 'error']
    if errors:
        sys.exit(f'{path}: cell {i} raised {errors[0].get("ename")}: {errors[0].get("evalue")}')
    kinds.update(mimes)
    print(f'cell {i}: {", ".join(mimes) or "no output"}')
    if not mimes and not cell.source.lstrip().startswith('import'):
        sys.exit(f'{path}: cell {i} showed nothing')
for required in ['text/html', 'application/vnd.vegalite.v5+json']:
    if required not in kinds:
        sys.exit(f'{path}: no cell produced {required}')
if len(sys.argv) > 2:
    nbformat.write(nb, sys.argv[2])
print(f'{path}: every cell ran')
