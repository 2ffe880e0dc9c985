import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# the packer caches token counts in ~/.cache/plan-ls: keep the tests' counts out of it
os.environ.setdefault("PLAN_LS_CACHE_DIR", tempfile.mkdtemp(prefix="plan-ls-test-cache-"))
