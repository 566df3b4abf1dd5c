"""medcoder.claims"""
