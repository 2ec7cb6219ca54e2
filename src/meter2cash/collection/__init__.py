"""collection (收费): late fees (违约金) first; the ledger, payments and dunning follow."""
