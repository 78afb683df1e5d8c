"""Named question templates for derived question trees, and the optional LLM re-phrasing prompt.

Inputs are tagged `{name}`; every template is filled with `str.format`. Templates never contain a value the node
has not earned: focus, probing and hint questions name the quantity or the code, never its value; a bottom-out
explains that node only (its own value or fix, which the tutor may or may not allow to be shown).
"""

from __future__ import annotations

# --- math: conceptual node (which quantity, which operation) ---------------------------------------------------
# {topic} is a concept phrase (knowledge.concepts): a name ("the total cost") or a wh-clause ("how many pages Jesse
# has read"); every template reads with both. No template shows an expression or leaves a blank, except a
# bottom-out of a step that is not the final answer; questions stay under 35 words with a 16-word topic.
MATH_CONCEPT_FOCUS = (
    "Let's find {topic}. Which numbers from the problem do we need for that?",
    "Next, think about {topic}. Which facts in the problem help you find it?",
    "How could we work out {topic}? Which numbers would you use?",
    "Before calculating anything: to find {topic}, which information in the story matters?",
)
MATH_CONCEPT_PROBING = (
    "Which operation connects those numbers when we look for {topic}, and why that one rather than another?",
    "Is something combined, taken away, repeated or shared here? What does that tell you about {topic}?",
    "To get {topic}, would you add, subtract, multiply or divide? What in the story makes you think so?",
    "Should {topic} come out bigger or smaller than the numbers we start with? Which operation fits that?",
)
MATH_CONCEPT_HINT = (
    "Look at the numbers {operands}. What do you get if you {op_verb} them, and does that fit {topic}?",
    "Here is a hint: {topic} comes from {op_gerund}. Which two numbers go together?",
    "Try to {op_verb} here. Which numbers from the problem belong together for {topic}?",
    "Think about {operands}: how do they combine to give {topic}?",
)
MATH_CONCEPT_HINT_MULTI = (
    "Which numbers and operations does {topic} need, and in what order?",
    "Here is a hint: {topic} takes more than one operation. Which one comes first?",
    "Break {topic} into smaller pieces: what would you work out first?",
    "Which numbers feed into {topic}, and how do they combine?",
)
# the final answer's step: the hint and the bottom-out name the operation only, never the operands
MATH_CONCEPT_HINT_FINAL = (
    "Here is a hint: {topic} comes from {op_gerund}. Which amounts go together?",
    "Think about which amounts we already know. Which of them lead to {topic}, and how?",
    "Which two amounts from the story or from earlier parts should we {op_verb} to get {topic}?",
    "What is the last thing the story does to get {topic}: combine, take away, repeat or share?",
)
MATH_CONCEPT_HINT_FINAL_MULTI = (
    "Which amounts we already know lead to {topic}, and which operations join them?",
    "Here is a hint: {topic} takes more than one operation. Which one comes first?",
    "Break {topic} into smaller pieces: what would you work out first?",
    "Which earlier results feed into {topic}, and in what order?",
)
MATH_CONCEPT_BOTTOM_OUT = (
    "To find {topic}, we {op_verb} {operands}: the expression is {expression}.",
    "Here is how this part works: to get {topic}, we {op_verb} {operands}, that is {expression}.",
    "This part is {op_gerund}: {expression} gives {topic}.",
    "We get {topic} by {op_gerund} {operands}: {expression}.",
)
MATH_CONCEPT_BOTTOM_OUT_MULTI = (
    "To find {topic}, the calculation is {expression}.",
    "Here is how this part works: {topic} comes from {expression}.",
    "The calculation for this part is {expression}; it gives {topic}.",
    "We get {topic} from {expression}.",
)
MATH_CONCEPT_BOTTOM_OUT_FINAL = (
    "Here is how this part works: {topic} comes from {op_gerund} amounts we have already found.",
    "To find {topic}, we {op_verb}: the operation is {op_noun}, using what we know so far.",
    "The key idea: {topic} is found by {op_gerund}.",
    "This last part is {op_gerund}, with amounts from the story or from earlier parts.",
)
MATH_CONCEPT_BOTTOM_OUT_FINAL_MULTI = (
    "Here is how this part works: {topic} combines amounts we have already found, using {op_nouns}.",
    "To find {topic}, we use {op_nouns} on what we know so far.",
    "The key idea: {topic} needs {op_nouns}, one step at a time.",
    "This last part joins earlier results with {op_nouns}.",
)

# --- math: computational node (what is the value) ---------------------------------------------------------------
MATH_VALUE_FOCUS = (
    "Now work out {topic}. What number do you get?",
    "Can you calculate {topic} and tell me the result?",
    "What do you get when you work out {topic}?",
    "Go ahead and compute {topic}. What is your number?",
)
MATH_VALUE_PROBING = (
    "How did you work out {topic}? Walk me through the arithmetic one step at a time.",
    "Does your number for {topic} make sense in the story? Is it bigger or smaller than you expected?",
    "Which numbers did you use for {topic}, and what did you do with them?",
    "Can you check {topic} another way, for example by estimating first?",
)
MATH_VALUE_HINT = (
    "Use the numbers and the operation we found for {topic}, one step at a time. What do you get?",
    "Write the calculation for {topic} down first, then work it out slowly. What number comes out?",
    "Estimate {topic} first: roughly how big should it be? Now what do you get exactly?",
    "Break the arithmetic for {topic} into small steps and check each one. What do you get?",
)
MATH_VALUE_BOTTOM_OUT = (
    "Working it out: {expression} = {value}{unit}.",
    "Here is the calculation: {expression} = {value}{unit}.",
    "The arithmetic is {expression}, which gives {value}{unit}.",
    "Put together: {expression} = {value}{unit}.",
)
MATH_PROBE = (
    "You got {wrong_value} for {topic}. What does that number stand for in the problem, and how did you decide which "
    "operation to use? (Something to check: {label_lower}.)"
)
MATH_PROBE_NO_VALUE = (
    "Let's check your reasoning for {topic}. What does the problem say, and does your working match it? "
    "(Something to check: {label_lower}.)"
)

# --- code: understanding the failing behaviour --------------------------------------------------------------------
# {test} is the failing test in backticks, or "the failing test" when it is too long to quote in a short question
CODE_BEHAVIOUR_FOCUS = (
    "What does `{entry_point}` do right now when you run it on one of the tests, and what should it do?",
    "Which of the tests fails, and what does your function return for it?",
    "When you run the tests, which one fails, and what happens?",
    "What should `{entry_point}` give back, and what does it give back now?",
)
CODE_BEHAVIOUR_PROBING = (
    "Look at {test}: what value do you expect, and what value does your code actually give?",
    "Is the output wrong for every input, or only for some? Which inputs?",
    "What is the smallest input where `{entry_point}` goes wrong?",
    "Does `{entry_point}` return a wrong value, or does it raise an error? Which one, for which input?",
)
CODE_BEHAVIOUR_HINT = (
    "Run {test} and compare the result with what the test expects. What is different?",
    "Call `{entry_point}` by hand with the input of {test}. What comes back?",
    "Read {test} aloud: what does it expect, and what do you get?",
    "Print what `{entry_point}` returns for the input in {test}. How does it differ from the expected value?",
)
CODE_BEHAVIOUR_BOTTOM_OUT = (
    "Your code fails {test}: for that input `{entry_point}` does not return what the problem asks for.",
    "Here is what goes wrong: {test} does not pass, so `{entry_point}` gives the wrong result for that input.",
    "Your function does not produce the expected value in {test}.",
    "For the input in {test}, `{entry_point}` does not return what the test expects.",
)

# --- code: locating the bug -----------------------------------------------------------------------------------------
CODE_LOCATE_FOCUS = (
    "Which part of your code is responsible for that wrong result?",
    "If you trace your code by hand on that input, where does the value first go wrong?",
    "Which line do you suspect, and why that one?",
    "Where in `{entry_point}` could that wrong result come from?",
)
CODE_LOCATE_PROBING = (
    "Walk me through your code line by line for that input. What does each line do to the variables?",
    "Could you add a print statement to see the values as the code runs? Where would you put it?",
    "What values do the variables have after the first pass through your code?",
    "Which line changes the result? What is the value just before and just after it?",
)
CODE_LOCATE_HINT = (
    "Look closely at line {line_no}: `{line}`. What does it do, exactly?",
    "Here is a hint: check line {line_no}. What does `{line}` compute for that input?",
    "Trace line {line_no} by hand. Is that what the problem asks for?",
    "What would you expect line {line_no} to do, and what does `{line}` actually do?",
)
CODE_LOCATE_BOTTOM_OUT = (
    "The problem is on line {line_no} (`{line}`): {bug_description}",
    "Here is where it goes wrong: line {line_no}, `{line}`. {bug_description}",
    "Line {line_no} (`{line}`) is the bug: {bug_description}",
    "The bug sits on line {line_no}, `{line}`: {bug_description}",
)

# --- code: the concept behind the fix -------------------------------------------------------------------------------
CODE_FIX_FOCUS = (
    "Now that you know where it goes wrong, how could you change line {line_no} so it does what the problem asks?",
    "What should that line do instead?",
    "How would you rewrite line {line_no}?",
    "What change to line {line_no} would make {test} pass?",
)
CODE_FIX_PROBING = (
    "What idea does the fix depend on here? Explain it in your own words before changing the code.",
    "If you make that change, what will your function return for {test}? Check it against the test.",
    "Which inputs would your change affect, and would the other tests still pass?",
    "Before you edit, what exactly should line {line_no} compute?",
)
CODE_FIX_HINT = (
    "Think about this: {concept}. How does that change line {line_no}?",
    "Here is the idea to use: {concept}. What would line {line_no} look like then?",
    "Keep this in mind: {concept}. How would you change line {line_no}?",
    "The key idea is that {concept}. What does that mean for line {line_no}?",
)
CODE_FIX_BOTTOM_OUT = (
    "One way to fix it: {fix}",
    "Here is a fix: {fix}",
    "A fix that works: {fix}",
    "You could fix it like this: {fix}",
)
CODE_PROBE = (
    "Your version still fails the tests. What do you expect line {line_no} to do, and what does it actually do? "
    "(Something to check: {label_lower}.)"
)

# --- optional offline re-phrasing with an LLM ---------------------------------------------------------------------
REPHRASE_SYSTEM = (
    "You rewrite a tutor's question so it sounds natural and friendly for a {grade_phrase} student. "
    "Keep its meaning and its level of help exactly; add no numbers, answers, code or hints that are not already in "
    "it. "
    "Output only the rewritten question, one or two sentences, no preamble."
)
REPHRASE_USER = '<problem>\n{statement}\n</problem>\n<question depth="{depth}">\n{question}\n</question>'
