"""medcoder.serving"""
