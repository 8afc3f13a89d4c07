"""Code every Ailurus service shares: settings base, logging, request ids, errors,
domain vocabulary and the model's taxonomy mapping."""
