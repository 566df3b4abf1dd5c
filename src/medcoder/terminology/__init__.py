"""medcoder.terminology"""
