"""medcoder.training"""
