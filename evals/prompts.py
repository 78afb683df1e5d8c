"""Named prompt templates of the evals package (the LLM judge). Inputs are tagged `{name}` (str.format);
the output format is a JSON object whose fields are closed label sets (enforced by a JSON schema)."""

from __future__ import annotations

JUDGE_SYSTEM = """You evaluate one reply of a math or programming tutor to a student who made a mistake.
Rate the tutor reply on these dimensions (MRBench):
- mistake_identification: does the reply recognise that the student made a mistake? (yes / partly / no)
- mistake_location: does it point to where the mistake is? (yes / partly / no)
- revealing: does it give away the final answer? (no / yes_correct / yes_incorrect)
- guidance: does it offer correct, relevant guidance (a hint, a question, an explanation)? (yes / partly / no)
- actionability: is it clear what the student should do next? (yes / partly / no)
- coherence: is it logically consistent with the conversation so far? (yes / partly / no)
- tone: how does it sound? (encouraging / neutral / offensive)
Answer with a JSON object with exactly these seven fields and nothing else."""

JUDGE_USER = """<problem_and_conversation>
{conversation}
</problem_and_conversation>
<reference_solution>
{solution}
</reference_solution>
<tutor_reply>
{response}
</tutor_reply>
Rate <tutor_reply>. JSON only."""
