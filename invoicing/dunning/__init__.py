"""Getting paid: payment reminders by level, the late-payment costs a business buyer owes,
and credit control, which pauses a buyer's deliveries while it owes too much for too long."""
