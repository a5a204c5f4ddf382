import sys, traceback
import bot.conversation as bc
from bot.messages import Channel
orig = bc.Conversation._apology
def ap(self, who, inbound, error):
    traceback.print_exception(error); return orig(self, who, inbound, error)
bc.Conversation._apology = ap

def test_dbg(person_on):
    p = person_on(Channel.SMS)
    for m in sys.argv[-1:]:
        pass
    import os
    for m in os.environ["MSGS"].split("|"):
        print("==", m)
        for r in p.says(m):
            print(r.text, [o.key for o in r.options])
