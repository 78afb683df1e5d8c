"""Named question templates for derived question trees, and the optional LLM re-phrasing prompt.

Inputs are tagged `{name}`; every template is filled with `str.format`. Templates never contain a value the node
has not earned: focus, probing and hint questions name the quantity or the code, never its value; a bottom-out
explains that node only (its own value or fix, which the tutor may or may not allow to be shown).
"""

from __future__ import annotations

# --- math: conceptual node (which quantity, which operation) ---------------------------------------------------
MATH_CONCEPT_FOCUS = (
    "Let's take one part at a time: {topic}. Which numbers from the problem do we need for this part?",
    "Before calculating anything: what should we work out next, and what information in the problem tells us about it?",
)
MATH_CONCEPT_PROBING = (
    "Which operation connects those numbers in this part ({topic}), and why that one rather than another?",
    "What happens in the story here: is something being combined, taken away, repeated or shared? What does that tell you about the operation?",
)
MATH_CONCEPT_HINT = (
    "Look at the numbers {operands}. What do you get if you {op_verb} them, and does that fit this part ({topic})?",
)
MATH_CONCEPT_HINT_MULTI = ("Which numbers and operations does this part ({topic}) need, and in what order?",)
MATH_CONCEPT_BOTTOM_OUT = ("For this part ({topic}), we {op_verb} {operands}: the expression is {expression}.",)
MATH_CONCEPT_BOTTOM_OUT_MULTI = ("For this part ({topic}), the calculation is {expression}.",)

# --- math: computational node (what is the value) ---------------------------------------------------------------
MATH_VALUE_FOCUS = (
    "Now work out this part ({topic}). What number do you get?",
    "Can you calculate this part ({topic}) and tell me the result?",
)
MATH_VALUE_PROBING = (
    "How did you calculate this part ({topic})? Walk me through the arithmetic one step at a time.",
    "Does your number for this part ({topic}) make sense in the story? Is it bigger or smaller than you expected?",
)
MATH_VALUE_HINT = ("Try calculating {expression} carefully. What do you get?",)
MATH_VALUE_BOTTOM_OUT = ("Working it out: {expression} = {value}{unit}.",)
MATH_PROBE = (
    "You got {wrong_value} for this part ({topic}). What does that number stand for in the problem, and how did you decide "
    "which operation to use? (Something to check: {label_lower}.)"
)
MATH_PROBE_NO_VALUE = (
    "Let's check your reasoning for this part ({topic}). What does the problem say, and does your working match it? "
    "(Something to check: {label_lower}.)"
)

# --- code: understanding the failing behaviour --------------------------------------------------------------------
CODE_BEHAVIOUR_FOCUS = (
    "What does `{entry_point}` do right now when you run it on one of the tests, and what should it do?",
    "Which of the tests fails, and what does your function return for it?",
)
CODE_BEHAVIOUR_PROBING = (
    "Take the failing test `{test}`. What value do you expect, and what value does your code actually give?",
    "Is the output wrong for every input, or only for some? Which inputs?",
)
CODE_BEHAVIOUR_HINT = ("Run `{test}` and compare the result with what the test expects. What is different?",)
CODE_BEHAVIOUR_BOTTOM_OUT = (
    "Your code fails `{test}`: for that input `{entry_point}` does not return what the problem asks for.",
)

# --- code: locating the bug -----------------------------------------------------------------------------------------
CODE_LOCATE_FOCUS = (
    "Which part of your code is responsible for that wrong result?",
    "If you trace your code by hand on that input, where does the value first go wrong?",
)
CODE_LOCATE_PROBING = (
    "Walk me through your code line by line for that input. What does each line do to the variables?",
    "Could you add a print statement to see the values as the code runs? Where would you put it?",
)
CODE_LOCATE_HINT = ("Look closely at line {line_no}: `{line}`. What does it do, exactly?",)
CODE_LOCATE_BOTTOM_OUT = ("The problem is on line {line_no} (`{line}`): {bug_description}",)

# --- code: the concept behind the fix -------------------------------------------------------------------------------
CODE_FIX_FOCUS = (
    "Now that you know where it goes wrong, how could you change line {line_no} so it does what the problem asks?",
    "What should that line do instead?",
)
CODE_FIX_PROBING = (
    "What idea does the fix depend on here? Explain it in your own words before changing the code.",
    "If you make that change, what will your function return for `{test}`? Check it against the test.",
)
CODE_FIX_HINT = ("Think about this: {concept}. How does that change line {line_no}?",)
CODE_FIX_BOTTOM_OUT = ("One way to fix it: {fix}",)
CODE_PROBE = (
    "Your version still fails the tests. What do you expect line {line_no} to do, and what does it actually do? "
    "(Something to check: {label_lower}.)"
)

# --- optional offline re-phrasing with an LLM ---------------------------------------------------------------------
REPHRASE_SYSTEM = (
    "You rewrite a tutor's question so it sounds natural and friendly for a {grade_phrase} student. "
    "Keep its meaning and its level of help exactly; add no numbers, answers, code or hints that are not already in it. "
    "Output only the rewritten question, one or two sentences, no preamble."
)
REPHRASE_USER = '<problem>\n{statement}\n</problem>\n<question depth="{depth}">\n{question}\n</question>'
