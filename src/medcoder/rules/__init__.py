"""medcoder.rules"""
