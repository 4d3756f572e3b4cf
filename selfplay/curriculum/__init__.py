"""Curriculum: proposer rewards from solver agreement, and the controller actor."""
