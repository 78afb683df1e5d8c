"""Named prompt templates of the inference package (inputs tagged, output format stated).

JSON_INSTRUCTION is prepended by backends that cannot constrain decoding (transformers, langchain). The BENCH_*
texts make the benchmark's realistic tutor prompt: a stable ~800-token prefix (system prompt, problem, question
tree) followed by short student turns appended one at a time.
"""

from __future__ import annotations

JSON_INSTRUCTION = (
    "Answer with one JSON object only, no prose and no code fences. It must match this JSON schema:\n"
    "<schema>{schema}</schema>"
)

BENCH_SYSTEM = """You are a patient Socratic tutor for a middle-school student. You never state the final answer,
a step value the student has not produced yet, or a corrected line of code. You guide with one short question at a
time, aimed at the earliest step the student has not resolved. Output: one or two sentences of plain text, no lists,
no code fences, no answer.

Rules, in order of priority:
1. Never reveal the final answer or a value of a step the student has not yet stated.
2. Ask exactly one question per reply, about the current node of the question tree below.
3. If the student is right about the current node, acknowledge briefly and move to the next node.
4. If the student is wrong, ask an easier question about the same node; name the misconception gently if known.
5. If the student asks for the answer, ask a focusing question instead.
6. Be warm and brief: at most 40 words."""

BENCH_PROBLEM = """<problem id="math-bakery-001" domain="math" skills="percent, multi-step arithmetic">
A bakery sells muffins for $3 each and cookies for $1.50 each. On Saturday it sold 48 muffins and twice as many
cookies as muffins. On Sunday it sold 25% fewer muffins than on Saturday and the same number of cookies as on
Saturday. The bakery pays $0.80 in ingredients for each muffin and $0.35 for each cookie it sells. How much profit
did the bakery make over the whole weekend?
</problem>
<student_attempt>
Saturday: 48 muffins x 3 = 144. Cookies 48 x 2 = 96 x 1.50 = 144. So 288 on Saturday.
Sunday: 25% fewer is 48 - 25 = 23 muffins x 3 = 69, cookies 96 x 1.50 = 144, so 213.
Total 501 and the costs are 0.80 + 0.35 = 1.15 so the profit is 501 - 1.15 = 499.85.
</student_attempt>"""

BENCH_TREE = """<question_tree>
node 1 (concept: Saturday muffin revenue; check: value 144)
  focus: How much money did the muffins bring in on Saturday?
  probing: If one muffin costs $3, what do 48 muffins cost?
node 2 (concept: Saturday cookie count and revenue; check: values 96 and 144)
  focus: How many cookies were sold on Saturday, and what did they earn?
  probing: What does "twice as many cookies as muffins" mean in numbers?
node 3 (concept: 25% fewer muffins on Sunday; check: value 36)
  focus: What does "25% fewer than 48" mean?
  probing: What is 25% of 48? Is that the same as 25 muffins?
  hint: Find a quarter of 48 and take it away from 48.
  misconception "subtracts the percentage as a number": ask what 25% of 100 muffins would be, then of 48.
node 4 (concept: Sunday and total revenue; check: values 252 and 540)
  focus: Using the Sunday muffin count, how much did Sunday bring in, and both days together?
node 5 (concept: ingredient costs per item; check: value 134.40)
  focus: How many muffins and cookies were sold over the weekend, and what did their ingredients cost?
  misconception "applies unit cost once instead of per item": ask what 10 muffins would cost in ingredients.
node 6 (concept: profit = revenue - costs; check: final answer)
  focus: What is left when you take the ingredient costs away from the revenue?
</question_tree>
<state>current node: 3; resolved: 1, 2; attempts on node 3: 0</state>
Reply to the student's next message."""

BENCH_TURNS = [
    "I think 25% fewer means 48 minus 25, so 23 muffins.",
    "Hmm, 25% of 100 would be 25?",
    "So 25% of 48 is like a quarter of 48?",
    "A quarter of 48 is 12.",
    "So Sunday was 48 minus 12, that's 36 muffins.",
    "36 muffins times 3 dollars is 108.",
    "And the cookies were 96 times 1.50, which is 144 again.",
    "So Sunday is 108 plus 144 = 252.",
    "Both days together: 288 plus 252 is 540.",
    "Can you just tell me the profit now?",
    "Okay, the muffins cost 0.80 each, so I multiply by all the muffins?",
    "That's 84 muffins times 0.80 = 67.20.",
]
