"""medcoder.routing"""
