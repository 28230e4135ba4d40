"""Who may import: administrators and heads of account management bring whole books in."""

from __future__ import annotations

import rules

from rapport.users.rules import is_manager_of_the_book

rules.add_perm("interchange.import_data", is_manager_of_the_book)
