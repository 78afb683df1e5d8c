"""The tutor's wording tables: every fixed sentence a template reply is assembled from (no model, no logic).

Verdict openers (FEEDBACK, UNSURE), content-free prompts (CHECK_PROMPTS, GENERICS), the student's own numbers said
back (VOICE), closing lines (SUCCESS, FINAL_ASK, AFTER_BOTTOM_OUT), questions without a tree wording (FALLBACK_Q)
and probe rewordings (PROBE_ASK). Each move has several variants so no sentence repeats in a dialogue;
`tutor.phrase` chooses among them.
"""

# fmt: off
FEEDBACK = {
    "right": ("Yes, that's right.", "Exactly, well done.", "Good, that's correct.", "Yes, that works.",
              "Nicely done.", "That's correct."),
    "wrong": ("Not quite.", "Hmm, let's check that.", "Let's look at that again.", "That's not it yet.",
              "Close, but not yet.", "Let's rethink that."),
    "stuck": ("That's okay, let's take a smaller step.", "No problem, let's break it down.",
              "That's fine, we'll work it out together.", "It's fine to be stuck; let's go slower.",
              "Being stuck is part of it.", "Okay, one small piece at a time."),
    "question": ("Good question.", "Let's think about that together.", "Let's figure that out.",
                 "Fair question."),
    "redirect": ("I can't just give you the answer, but I can help you find it yourself.",
                 "I'll stick to helping you work it out, step by step.",
                 "I won't hand over the answer, but you can get there yourself.",
                 "Let's keep working it out together instead."),
    "off_topic": ("Let's get back to the problem.", "Let's keep our focus on the problem for now.",
                  "Back to our problem for now.", "Let's return to the problem."),
    "greeting": ("Hi! Let's work on this together.", "Hello! Let's get started.", "Hi there! Let's begin.",
                 "Hello! Glad to work on this with you."),
    "none": ("", "Let me ask it another way.", "Let's try it from another angle.", "Here's another way to see it."),
    "partly": ("Part of that is right.", "Some of that is right.", "You're partly there.", "That's a good start.",
               "Some of your work holds up.", "You're on the way there."),
    "given": ("Yes, that's what the problem tells us.", "Right, the problem says so.", "True, that's given.",
              "Yes, that's a fact from the story."),
}
# unsure: what to check is a number (math) or what a call returns or a line (code); FEEDBACK holds both, so a
# revoiced reply finds its decided sentence whatever the domain
UNSURE = {"math": ("I can't check that yet, so let's pin it down with a number.",
                   "Let's make that concrete with a number we can check.",
                   "I need a number to check that.", "Let's turn that into a number we can test."),
          "code": ("I can't check that yet: let's pin it to one call and what it returns.",
                   "Let's make that concrete: name a line, or the value a call gives back.",
                   "I need something I can run or point to, like a call's result or a line.",
                   "Let's turn that into something we can test: one call and its result.")}
FEEDBACK["unsure"] = UNSURE["math"] + UNSURE["code"]
# The `null` policy's content-free prompts: they name no number, step or line of the problem.
CHECK_PROMPTS = ("Can you check your work?", "Are you sure?", "Can you look over your work once more?",
                 "What do you think? Take another look.")
GENERIC = "Let's take it one step at a time. What do you think the next step is?"
GENERICS = (GENERIC, "Let's slow down. What could we work out next?", "One piece at a time: what would you find first?",
            "Let's look at the story again. What do we know, and what is still missing?",
            "Which part of the problem could we work on now?")
# the student's own numbers said back ({v}: their text; {topic}: what a right value is)
VOICE = {
    "right": ("{v} is {topic}.", "You found {topic}: {v}.", "So {topic} is {v}.", "{v} is exactly {topic}."),
    "right_bare": ("{v} checks out.", "{v} is correct.", "Your {v} is right.", "{v} is the number we need."),
    "wrong_how": ("You got {v} after {how}.", "I see {v}; you got there by {how}.", "So {v} comes from {how}.",
                  "You reached {v} by {how}."),
    "wrong": ("You said {v}, and that doesn't fit yet.", "{v} doesn't match the story yet.",
              "I see {v} in your work; let's check where it comes from.", "Let's test your {v} against the story."),
    "partly": ("{r} is right, but {w} is not yet.", "You have {r} right; {w} still needs a look.",
               "{r} checks out; {w} does not yet.", "Good work on {r}, but {w} doesn't fit yet."),
    "given": ("{v} is indeed in the problem.", "The problem does say {v}.", "Yes, {v} is one of the facts we know.",
              "{v} comes straight from the story."),
    "heard": ("You mention {v}.", "I see {v} in your message.", "You bring up {v}.", "Let's keep {v} in mind."),
    "unsure": ("I see {v} in your message, but not which one is your answer.",
               "You mention {v}; let's settle on one number.", "I can't tell yet which of {v} is your result.",
               "Tell me which of {v} is your answer."),
}
SUCCESS = {  # never the number itself: the answer is not echoed, even once the student has said it
    "math": ("Yes, that's the right answer. Well done: you solved it yourself!",
             "That's it: your answer is right, and you worked it out yourself!",
             "Correct! You solved the whole problem yourself.",
             "Well done: that answer is right, and it's all your own work.",
             "Yes, that's the answer. You got there on your own!",
             "Right answer! You solved it step by step yourself."),
    "code": ("All the tests pass. Well done: you found and fixed the bug yourself!",
             "Every test passes now. You found and fixed the bug yourself!",
             "All green: the tests pass. Well done on finding the bug yourself!",
             "The tests all pass. Great work fixing it yourself!"),
}
FINAL_ASK = {
    "math": ("Put it all together: what is your final answer?", "Now combine what you found: what is the answer?",
             "You have all the parts. What is your final answer?", "So, what does the whole problem come to?",
             "What answer do your parts add up to?", "Which number answers the question the problem asks?",
             "Read the question again: what number does it ask for?", "What is your answer to the whole problem?"),
    "code": ("Put it all together: can you send the whole corrected function?",
             "Can you send the whole function with your fix in it?",
             "Now send the complete corrected function, please.", "Can you paste the whole fixed function?"),
}
AFTER_BOTTOM_OUT = {
    "math": ("What do you get for the final answer?", "Now, what is your final answer?",
             "So what does the problem come to?", "What answer do you get now?"),
    "code": ("Can you fix the code now?", "How would you change the code now?", "Can you try the fix now?",
             "What would your corrected code look like?"),
}

FALLBACK_Q = {
    "focus": "Let's think about {concept}. What do you get?",
    "probing": "What do you already know that could help with {concept}?",
    "hint": "Here is a hint: focus on {concept}. What is your next step?",
    "bottom_out": "Here is how this part works: {concept}.",
}
PROBE_ASK = ("Where does that number come from in the story?", "Which operation gave you that, and why that one?",
             "What did you do to get it, step by step?", "Does that fit what the problem describes?")
# fmt: on
