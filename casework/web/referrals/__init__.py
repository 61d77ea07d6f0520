"""Referring a candidate (union, youth and women's officers; cell secretaries for a member's introduction)
and following one's referrals."""
