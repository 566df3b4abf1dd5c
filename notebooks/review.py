# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Coder review
#
# The worklist of charts the service routed to review or escalation, one chart at a time: the note
# with each suggested code's evidence highlighted, and per code Accept, Reject (with a reason from
# the menu) or Modify (search the replacement). Codes the model missed are added with a code search
# and the supporting text typed or pasted as it appears in the note. Submit records every decision
# through the feedback API and closes the chart with its final codes (a `finalized` audit event).
# Accepting a suggestion takes three clicks: Open, Accept, Submit.
#
# Everything shown here comes from `medcoder.review.widgets.ReviewApp` (logic in
# `medcoder.review.session`, HTML in `medcoder.review.highlight`); this notebook only connects it
# to the service. It needs a running service (`medcoder serve`) and a coder JWT: the worklist shows
# note text, so only the coder (and admin) role may open it.
#
# | Variable | Default |
# |---|---|
# | `MEDCODER_URL` | `http://127.0.0.1:3000` |
# | `MEDCODER_TOKEN` | none: a JWT with role `coder` |
# | `MEDCODER_REVIEW_AUTOPILOT` | unset. `1`: accept the first suggestion of the first chart, add one code, submit (headless test) |
# | `MEDCODER_REVIEW_ADD_CODE`, `MEDCODER_REVIEW_ADD_PHRASE` | the code the autopilot adds and the note text that supports it |
# | `MEDCODER_REVIEW_ADD_REASON` | `other` (a value of `medcoder.audit.events.Reason`) |

# %% tags=["parameters"]
# ruff: noqa: E402  (notebook style: imports per cell)
import os

MEDCODER_URL = os.environ.get("MEDCODER_URL", "http://127.0.0.1:3000")
MEDCODER_TOKEN = os.environ.get("MEDCODER_TOKEN", "")
AUTOPILOT = os.environ.get("MEDCODER_REVIEW_AUTOPILOT") == "1"
ADD_CODE = os.environ.get("MEDCODER_REVIEW_ADD_CODE") or None
ADD_PHRASE = os.environ.get("MEDCODER_REVIEW_ADD_PHRASE") or None
ADD_REASON = os.environ.get("MEDCODER_REVIEW_ADD_REASON", "other")

# %%
from IPython.display import display

from medcoder.review.widgets import ReviewApp
from medcoder.serving.client import CoderClient

if not MEDCODER_TOKEN:
    print("MEDCODER_TOKEN is not set: the service will refuse the worklist (it needs a coder JWT).")
client = CoderClient(MEDCODER_URL, MEDCODER_TOKEN)
app = ReviewApp(client)
display(app)

# %% [markdown]
# ## Autopilot (headless test only)
#
# With `MEDCODER_REVIEW_AUTOPILOT=1` the cell below clicks through the first chart as a coder
# would: Open, Accept on the first suggestion, the add-code search, phrase and reason, Add,
# Accept all remaining (Submit needs a decision on every suggestion), Submit. It prints the audit
# sequence number of the `finalized` event and the final codes (codes only, no note text).

# %%
finalized = None
if AUTOPILOT:
    finalized = app.autopilot(ADD_CODE, ADD_PHRASE, ADD_REASON)
    print(f"finalized at audit seq {finalized.seq}: {[c.code for c in app.session.final_codes()]}")
