"""medcoder.evidence"""
